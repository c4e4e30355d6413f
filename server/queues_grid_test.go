package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
)

func user(name string) rest.Principal { return rest.Principal{Name: name, Role: api.RoleUser} }

func sleepTask(name string, seconds string) api.TaskSpec {
	return commandTask(name, []string{"sleep", seconds})
}

// submitAs submits a job and fails the test on an error.
func (g *testGrid) submitAs(t *testing.T, p rest.Principal, spec api.JobSpec) int64 {
	t.Helper()
	resp, err := g.srv.SubmitJob(context.Background(), p, spec)
	if err != nil {
		t.Fatalf("submit %s as %s: %v", spec.Name, p.Name, err)
	}
	return resp.ID
}

// waitEvent waits for an event of job id that match accepts.
func (g *testGrid) waitEvent(t *testing.T, id int64, what string, match func(api.Event) bool) api.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events, err := g.srv.Events(ctx, g.admin, 0, id)
	if err != nil {
		t.Fatal(err)
	}
	for ev := range events {
		if match(ev) {
			return ev
		}
	}
	t.Fatalf("timed out waiting for %s", what)
	return api.Event{}
}

func TestSubmitRefusesAnUnknownQueue(t *testing.T) {
	g := startTestGridWith(t, func(c *Config) { c.Queues = []QueueConfig{{Name: "short"}} }, 0, 1)
	ctx := context.Background()
	spec := api.JobSpec{Name: "j", Queue: "long", Tasks: []api.TaskSpec{sleepTask("t", "0")}}
	_, err := g.srv.SubmitJob(ctx, user("ann"), spec)
	var ae *api.Error
	if !api.IsCode(err, api.CodeInvalid) || !errors.As(err, &ae) || len(ae.Errors) != 1 || ae.Errors[0].Field != "queue" ||
		!strings.Contains(ae.Errors[0].Message, "short, default") {
		t.Fatalf("submit to an unknown queue: %v, want an invalid queue naming short and default", err)
	}
	if _, err := g.srv.DryRunJob(ctx, user("ann"), spec); !api.IsCode(err, api.CodeInvalid) {
		t.Errorf("dry run to an unknown queue: %v, want invalid", err)
	}
	for queue, want := range map[string]string{"short": "short", "": api.DefaultQueue} {
		spec.Queue = queue
		id := g.submitAs(t, user("ann"), spec)
		if job, err := g.srv.GetJob(ctx, user("ann"), id); err != nil || job.Queue != want {
			t.Errorf("job submitted to %q: queue %q, %v; want %q", queue, job.Queue, err, want)
		}
	}
}

// TestFairShareInterleavesUsers: on one slot, a user who submitted later
// does not wait for all of an earlier user's tasks: fair share alternates
// between them as their usage grows.
func TestFairShareInterleavesUsers(t *testing.T) {
	g := startTestGrid(t, 1, 1)
	tasks := func(n int) []api.TaskSpec {
		var ts []api.TaskSpec
		for i := range n {
			ts = append(ts, sleepTask("t"+string(rune('a'+i)), "0.3"))
		}
		return ts
	}
	ann := g.submitAs(t, user("ann"), api.JobSpec{Name: "ann", Tasks: tasks(6)})
	bob := g.submitAs(t, user("bob"), api.JobSpec{Name: "bob", Tasks: tasks(3)})
	type start struct {
		who string
		at  time.Time
	}
	var starts []start
	for who, id := range map[string]int64{"ann": ann, "bob": bob} {
		job := g.waitJob(t, id)
		if job.State != api.JobFinished {
			t.Fatalf("%s's job %s", who, job.State)
		}
		for _, tk := range job.Tasks {
			starts = append(starts, start{who, *tk.StartedAt})
		}
	}
	slices.SortFunc(starts, func(a, b start) int { return a.at.Compare(b.at) })
	order := ""
	for _, s := range starts {
		order += s.who[:1]
	}
	t.Logf("start order %s", order)
	// FIFO would run aaaaaabbb; fair share must have run all of bob's
	// before ann's last two.
	if i := strings.LastIndex(order, "b"); i > 6 {
		t.Errorf("start order %s: bob's last task started after ann's fifth", order)
	}
	st, err := g.srv.SchedulerStats(context.Background(), g.admin, "bob")
	if err != nil || st.User.Usage[api.DefaultQueue] <= 0 {
		t.Errorf("bob's stats %+v, %v: want fair-share usage in the default queue", st.User, err)
	}
}

// TestQueueQuotaHolds: a queue with max_running 1 runs one task at a time
// on a node with room for four.
func TestQueueQuotaHolds(t *testing.T) {
	g := startTestGridWith(t, func(c *Config) { c.Queues = []QueueConfig{{Name: "one", MaxRunning: 1}} }, 1, 4)
	id := g.submitAs(t, user("ann"), api.JobSpec{Name: "q", Queue: "one",
		Tasks: []api.TaskSpec{sleepTask("a", "0.3"), sleepTask("b", "0.3"), sleepTask("c", "0.3")}})
	other := g.submitAs(t, user("ann"), api.JobSpec{Name: "free", Tasks: []api.TaskSpec{sleepTask("x", "0.3"), sleepTask("y", "0.3")}})
	job := g.waitJob(t, id)
	if job.State != api.JobFinished {
		t.Fatalf("job %s", job.State)
	}
	slices.SortFunc(job.Tasks, func(a, b api.Task) int { return a.StartedAt.Compare(*b.StartedAt) })
	for i := 1; i < len(job.Tasks); i++ {
		if job.Tasks[i].StartedAt.Before(*job.Tasks[i-1].FinishedAt) {
			t.Errorf("task %s started before task %s finished: the quota of one running task was not held", job.Tasks[i].Name, job.Tasks[i-1].Name)
		}
	}
	if job := g.waitJob(t, other); job.State != api.JobFinished {
		t.Errorf("job in the default queue %s", job.State)
	}
	qs, err := g.srv.Queues(context.Background(), g.admin)
	if err != nil || len(qs) != 2 || qs[0].Name != "one" || qs[0].MaxRunning != 1 || qs[0].Usage <= 0 || len(qs[0].Users) != 1 {
		t.Errorf("queues %+v, %v", qs, err)
	}
}

// TestPreemptionRequeuesTheVictim: a high-priority task preempts a
// running low-priority one in a queue with preemption; the victim is
// queued again with the reason in its events, its attempt not counted
// (it has max_attempts 1 and still runs again), and the preempting task
// runs once it has stopped.
func TestPreemptionRequeuesTheVictim(t *testing.T) {
	g := startTestGridWith(t, func(c *Config) { c.Queues = []QueueConfig{{Name: "pre", Preemption: true}} }, 1, 1)
	low := g.submitAs(t, g.admin, api.JobSpec{Name: "low", Queue: "pre", Priority: api.PriorityLow, Tasks: []api.TaskSpec{sleepTask("long", "2")}})
	g.waitTask(t, low, 0, api.TaskRunning)
	high := g.submitAs(t, g.admin, api.JobSpec{Name: "high", Queue: "pre", Priority: api.PriorityHigh, Tasks: []api.TaskSpec{sleepTask("urgent", "0.2")}})
	ev := g.waitEvent(t, low, "the victim's preemption event", func(ev api.Event) bool {
		return ev.Kind == "task" && ev.State == string(api.TaskPending) && strings.Contains(ev.Info, "preempted")
	})
	if !strings.Contains(ev.Info, "job "+strconv.FormatInt(high, 10)) {
		t.Errorf("preemption event %q does not name job %d", ev.Info, high)
	}
	if job := g.waitJob(t, high); job.State != api.JobFinished {
		t.Fatalf("preempting job %s", job.State)
	}
	job := g.waitJob(t, low)
	if job.State != api.JobFinished || job.Tasks[0].Attempt != 2 {
		t.Fatalf("victim: %s after %d attempts, want FINISHED after 2 (max_attempts 1: the preempted one did not count)", job.State, job.Tasks[0].Attempt)
	}
	if hj, _ := g.srv.GetJob(context.Background(), g.admin, high); !hj.Tasks[0].StartedAt.Before(*job.Tasks[0].StartedAt) {
		t.Errorf("the victim's second attempt started before the preempting task")
	}
}

// TestMultiNodeTask: a task with nodes: 3 gets all three nodes at once,
// shows them while it runs, and releases every one when it ends; a task
// that needs more nodes than there are, or distinct hosts on one host,
// gets none.
func TestMultiNodeTask(t *testing.T) {
	g := startTestGrid(t, 3, 1)
	ctx := context.Background()
	wide := commandTask("wide", []string{"sh", "-c", "sleep 0.5; test \"$SHRIKE_NODE_COUNT\" = 3"})
	wide.Nodes = 3
	id := g.submitAs(t, user("ann"), api.JobSpec{Name: "mpi", Tasks: []api.TaskSpec{wide}})
	job := g.waitTask(t, id, 0, api.TaskRunning)
	nodes := slices.Sorted(slices.Values(job.Tasks[0].Nodes))
	if !slices.Equal(nodes, []string{"n1", "n2", "n3"}) || job.Tasks[0].Nodes[0] != job.Tasks[0].Node {
		t.Errorf("running task's nodes %v (node %s), want n1, n2, n3 with its node first", job.Tasks[0].Nodes, job.Tasks[0].Node)
	}
	if job = g.waitJob(t, id); job.State != api.JobFinished || job.Tasks[0].Attempt != 1 {
		t.Fatalf("multi-node job %s after %d attempts: %s", job.State, job.Tasks[0].Attempt, job.Tasks[0].Error)
	}
	waitUntil(t, 20*time.Second, "every node's slot released", func() bool {
		ns, _ := g.srv.ListNodes(ctx, g.admin)
		for _, n := range ns {
			if len(n.RunningTasks) > 0 {
				return false
			}
		}
		return true
	})

	tooWide := sleepTask("too-wide", "0")
	tooWide.Nodes = 4
	apart := sleepTask("apart", "0")
	apart.Nodes, apart.DistinctHosts = 2, true // every test node is on this host
	id = g.submitAs(t, user("ann"), api.JobSpec{Name: "none", Tasks: []api.TaskSpec{tooWide, apart}})
	waitUntil(t, 20*time.Second, "both tasks explained", func() bool {
		job, _ = g.srv.GetJob(ctx, g.admin, id)
		return len(job.Tasks[0].WaitingReasons) > 0 && len(job.Tasks[1].WaitingReasons) > 0
	})
	ns, _ := g.srv.ListNodes(ctx, g.admin)
	for _, n := range ns {
		if len(n.RunningTasks) > 0 {
			t.Errorf("node %s runs %v for tasks that cannot get all their nodes", n.Name, n.RunningTasks)
		}
	}
	if job.Tasks[0].State != api.TaskPending || job.Tasks[1].State != api.TaskPending {
		t.Errorf("tasks %s and %s, want both PENDING", job.Tasks[0].State, job.Tasks[1].State)
	}
}

// TestMultiNodeTaskPacksSlots: two slots on one node of two slots.
func TestMultiNodeTaskPacksSlots(t *testing.T) {
	g := startTestGrid(t, 1, 2)
	pair := commandTask("pair", []string{"sh", "-c", "test \"$SHRIKE_NODE_COUNT\" = 2"})
	pair.Nodes = 2
	id := g.submitAs(t, user("ann"), api.JobSpec{Name: "pair", Tasks: []api.TaskSpec{pair}})
	if job := g.waitJob(t, id); job.State != api.JobFinished {
		t.Fatalf("job %s: %s", job.State, job.Tasks[0].Error)
	}
	waitUntil(t, 20*time.Second, "the node's slots released", func() bool {
		ns, _ := g.srv.ListNodes(context.Background(), g.admin)
		return len(ns) == 1 && len(ns[0].RunningTasks) == 0 && ns[0].State == api.NodeFree
	})
}

// TestMultiNodeAttemptLostWithANode: when a node holding a slot of a
// running multi-node attempt goes down, the attempt is lost: stopped on
// its other node and queued again without counting against max_attempts.
func TestMultiNodeAttemptLostWithANode(t *testing.T) {
	dir := t.TempDir()
	srv, _ := runServer(t, TestConfig(filepath.Join(dir, "server")))
	ctx := context.Background()
	admin := rest.Principal{Name: "root", Role: api.RoleAdmin}
	stops := map[string]func(){}
	for _, name := range []string{"n1", "n2"} {
		agent, err := node.New(node.Config{ServerURL: srv.NATSURL(), Token: nodeSecret(t, srv, name), Name: name,
			Slots: 1, CPUs: 1, WorkDir: filepath.Join(dir, name), KillGrace: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		actx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- agent.Run(actx) }()
		stops[name] = sync.OnceFunc(func() { cancel(); <-done })
		t.Cleanup(stops[name])
	}
	wide := sleepTask("wide", "60")
	wide.Nodes = 2
	resp, err := srv.SubmitJob(ctx, admin, api.JobSpec{Name: "wide", Tasks: []api.TaskSpec{wide}})
	if err != nil {
		t.Fatal(err)
	}
	var job api.Job
	waitUntil(t, 20*time.Second, "the task placed on both nodes", func() bool {
		job, _ = srv.GetJob(ctx, admin, resp.ID)
		return job.Tasks[0].State == api.TaskRunning
	})
	primary := job.Tasks[0].Node
	other := "n1"
	if primary == "n1" {
		other = "n2"
	}
	// RUNNING is set at placement, before the starts reach the nodes: wait
	// until both agents have the attempt (its work directory), so that
	// stopping one loses a running attempt rather than an undelivered start.
	srv.mu.Lock()
	attemptDir := fmt.Sprintf("%d-1", srv.jobs[resp.ID].tasks[0].rec.ID)
	srv.mu.Unlock()
	waitUntil(t, 20*time.Second, "the attempt on both agents", func() bool {
		for _, n := range []string{primary, other} {
			if _, err := os.Stat(filepath.Join(dir, n, "tasks", attemptDir)); err != nil {
				return false
			}
		}
		return true
	})
	stops[other]()
	waitUntil(t, 30*time.Second, "the attempt lost and queued again", func() bool {
		job, _ = srv.GetJob(ctx, admin, resp.ID)
		return job.Tasks[0].State == api.TaskPending
	})
	if !strings.Contains(job.Tasks[0].Error, other+" went down") || job.Tasks[0].Attempt != 1 {
		t.Errorf("task after the loss: attempt %d, error %q; want attempt 1 and node %s's loss", job.Tasks[0].Attempt, job.Tasks[0].Error, other)
	}
	waitUntil(t, 30*time.Second, "the attempt stopped on "+primary, func() bool {
		ns, _ := srv.ListNodes(ctx, admin)
		for _, n := range ns {
			if n.Name == primary {
				return len(n.RunningTasks) == 0
			}
		}
		return false
	})
	if err := srv.KillJob(ctx, admin, resp.ID); err != nil {
		t.Fatal(err)
	}
}

// TestMultiNodeAttemptSurvivesRestart: the other nodes of a running
// multi-node attempt are stored with it, so a server restart re-attaches
// the attempt and its hold instead of losing it: it finishes on its first
// attempt.
func TestMultiNodeAttemptSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := TestConfig(filepath.Join(dir, "server"))
	// The agents reconnect to the same NATS address after the restart.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.NATSListen = l.Addr().String()
	_ = l.Close()
	srv, stop := runServer(t, cfg)
	ctx := context.Background()
	admin := rest.Principal{Name: "root", Role: api.RoleAdmin}
	for _, name := range []string{"n1", "n2"} {
		agent, err := node.New(node.Config{ServerURL: srv.NATSURL(), Token: nodeSecret(t, srv, name), Name: name,
			Slots: 1, CPUs: 1, WorkDir: filepath.Join(dir, name), KillGrace: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		actx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- agent.Run(actx) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	release := filepath.Join(dir, "release")
	wide := commandTask("wide", []string{"/bin/sh", "-c", "while [ ! -e " + release + " ]; do sleep 0.1; done"})
	wide.Nodes = 2
	resp, err := srv.SubmitJob(ctx, admin, api.JobSpec{Name: "wide", Tasks: []api.TaskSpec{wide}})
	if err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	attemptDir := fmt.Sprintf("%d-1", srv.jobs[resp.ID].tasks[0].rec.ID)
	srv.mu.Unlock()
	waitUntil(t, 20*time.Second, "the attempt on both agents", func() bool {
		for _, n := range []string{"n1", "n2"} { // the first runs it, the other holds its slot
			if _, err := os.Stat(filepath.Join(dir, n, "tasks", attemptDir)); err != nil {
				return false
			}
		}
		return true
	})
	stop()

	srv, _ = runServer(t, cfg)
	job, err := srv.GetJob(ctx, admin, resp.ID)
	if err != nil || job.Tasks[0].State != api.TaskRunning || len(job.Tasks[0].Nodes) != 2 {
		t.Fatalf("after the restart: %+v, %v; want the task RUNNING on its 2 nodes", job.Tasks, err)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the job finished", func() bool {
		job, _ = srv.GetJob(ctx, admin, resp.ID)
		return job.State.Terminal()
	})
	if job.State != api.JobFinished || job.Tasks[0].Attempt != 1 {
		t.Errorf("job %s, task attempt %d, error %q; want FINISHED on attempt 1", job.State, job.Tasks[0].Attempt, job.Tasks[0].Error)
	}
}
