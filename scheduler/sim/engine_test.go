package sim

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
)

// newEngine builds an engine from YAML documents, logging into a buffer.
func newEngine(t *testing.T, cluster, workload string) (*Engine, *bytes.Buffer) {
	t.Helper()
	c, err := ParseCluster(strings.NewReader(cluster))
	if err != nil {
		t.Fatal(err)
	}
	w, err := ParseWorkload(strings.NewReader(workload))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(c, w)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	e.Log = &log
	return e, &log
}

// runChecked runs e to its end, checking its accounting after every
// instant.
func runChecked(t *testing.T, e *Engine) {
	t.Helper()
	for e.Step() {
		if err := e.check(); err != nil {
			t.Fatalf("t=%s: %v", e.now, err)
		}
	}
}

// check verifies the engine's books: each node's free resources are its
// capacity less what its running attempts hold, the parallel running
// tables agree, multi-node attempts hold as many nodes as they asked for
// (on distinct hosts when asked), every queue's and user's quota holds,
// and no task is both pending and running.
func (e *Engine) check() error {
	type use struct{ cpu, mem, slots int64 }
	held := map[*node]use{}
	type qu struct{ queue, user string }
	running := map[qu]int{}
	cpus := map[qu]int64{}
	for i, a := range e.running {
		if a.pos != i || e.runs[i].TaskID != a.task.id || a.task.att != a {
			return fmt.Errorf("running table out of step at %d", i)
		}
		if a.task.queued {
			return fmt.Errorf("task %d is running and pending", a.task.id)
		}
		for _, n := range a.nodes {
			u := held[n]
			u.cpu += a.task.spec.milliCPU
			u.mem += a.task.spec.memory
			u.slots++
			held[n] = u
		}
		if a.task.spec.distinctHosts {
			hosts := map[string]bool{}
			for _, n := range a.nodes {
				if hosts[n.host] {
					return fmt.Errorf("task %d has two nodes on host %s despite distinct_hosts", a.task.id, n.host)
				}
				hosts[n.host] = true
			}
		}
		if len(a.nodes) != a.task.spec.nodes {
			return fmt.Errorf("task %d runs on %d nodes, wants %d", a.task.id, len(a.nodes), a.task.spec.nodes)
		}
		q, u := a.task.job.queue, a.task.job.user
		c := a.task.spec.milliCPU * int64(len(a.nodes))
		running[qu{q, ""}]++
		running[qu{q, u}]++
		cpus[qu{q, ""}] += c
		cpus[qu{q, u}] += c
	}
	for _, n := range e.nodes {
		u := held[n]
		if n.freeCPU != n.milliCPU-u.cpu || n.freeMem != n.memory-u.mem || n.freeSlot != int64(n.slots)-u.slots {
			return fmt.Errorf("node %s: free %d mCPU, %d B, %d slots; running attempts hold %+v of %d/%d/%d",
				n.name, n.freeCPU, n.freeMem, n.freeSlot, u, n.milliCPU, n.memory, n.slots)
		}
		if n.freeCPU < 0 || n.freeMem < 0 || n.freeSlot < 0 {
			return fmt.Errorf("node %s is overcommitted", n.name)
		}
	}
	for _, q := range e.queues {
		if q.MaxRunning > 0 && running[qu{q.Name, ""}] > q.MaxRunning {
			return fmt.Errorf("queue %s runs %d tasks, max_running %d", q.Name, running[qu{q.Name, ""}], q.MaxRunning)
		}
		if q.MaxMilliCPU > 0 && cpus[qu{q.Name, ""}] > q.MaxMilliCPU {
			return fmt.Errorf("queue %s uses %d mCPU, max %d", q.Name, cpus[qu{q.Name, ""}], q.MaxMilliCPU)
		}
		for k, n := range running {
			if k.queue == q.Name && k.user != "" && q.MaxRunningPerUser > 0 && n > q.MaxRunningPerUser {
				return fmt.Errorf("user %s runs %d tasks in queue %s, max_running_per_user %d", k.user, n, q.Name, q.MaxRunningPerUser)
			}
		}
		for k, c := range cpus {
			if k.queue == q.Name && k.user != "" && q.MaxMilliCPUPerUser > 0 && c > q.MaxMilliCPUPerUser {
				return fmt.Errorf("user %s uses %d mCPU in queue %s, max %d", k.user, c, q.Name, q.MaxMilliCPUPerUser)
			}
		}
	}
	live := 0
	for _, g := range e.pending.groups {
		n := 0
		for _, t := range g.tasks {
			if t.queued {
				n++
			}
		}
		if n != g.live {
			return fmt.Errorf("group %v counts %d live tasks, holds %d", g.key, g.live, n)
		}
		live += n
	}
	if live != e.pending.live {
		return fmt.Errorf("pending counts %d, groups hold %d", e.pending.live, live)
	}
	return nil
}

const twoNodes = `
nodes:
  - {count: 2, prefix: n, cpus: 4, memory: 8GiB}
`

// TestResourcesFreed: tasks of several shapes come and go; the books hold
// at every instant, and at the end every node is whole again and every
// task finished.
func TestResourcesFreed(t *testing.T) {
	e, log := newEngine(t, twoNodes, `
jobs:
  - tasks:
      - {name: small, cpu: 1, memory: 1GiB, duration: 10s, replicate: 6}
      - {name: big, cpu: 4, memory: 6GiB, duration: 20s, replicate: 2}
  - submit: 5s
    user: bob
    tasks:
      - {name: half, cpu: 0.5, memory: 512MiB, duration: 7s, replicate: 5}
`)
	runChecked(t, e)
	for _, n := range e.nodes {
		if n.freeCPU != n.milliCPU || n.freeMem != n.memory || n.freeSlot != int64(n.slots) {
			t.Errorf("node %s not whole at the end: %+v", n.name, n)
		}
	}
	if s := e.Stats(); s.Finished != 13 || s.Placements != 13 || len(e.running) != 0 || e.pending.live != 0 {
		t.Errorf("stats %+v, %d running, %d pending; log:\n%s", s, len(e.running), e.pending.live, log)
	}
	if !strings.Contains(log.String(), "job 1 finished") || !strings.Contains(log.String(), "job 2 finished") {
		t.Errorf("jobs did not finish:\n%s", log)
	}
}

// TestPreemptionRequeues: a preemption in a plan stops the attempt, frees
// its node and puts the task back in its place in the queue, without
// counting the attempt; the task then runs to its end.
func TestPreemptionRequeues(t *testing.T) {
	e, log := newEngine(t, "nodes: [{name: n1, cpus: 1}]\n", `
jobs:
  - tasks: [{name: a, duration: 10s, fail: [1], max_attempts: 1}]
`)
	if !e.Step() { // t=0: submitted and started
		t.Fatal("nothing happened")
	}
	a := e.task(1).att
	if a == nil {
		t.Fatalf("task did not start:\n%s", log)
	}
	e.now = 4e9 // preempted at t=4s
	e.applyPlan(scheduler.Plan{Preemptions: []scheduler.Preemption{{TaskID: 1, For: 99, Reason: "preempted by a test"}}})
	if err := e.check(); err != nil {
		t.Fatal(err)
	}
	n := e.nodeByID["n1"]
	if e.task(1).att != nil || !e.task(1).queued || n.freeSlot != 1 || n.freeCPU != 1000 {
		t.Fatalf("after preemption: task %+v, node %+v", e.task(1), n)
	}
	if !strings.Contains(log.String(), "t=4s job 1 task a preempted on n1 after 4s and re-queued: preempted by a test") {
		t.Fatalf("no preemption event:\n%s", log)
	}
	// The task fails on its first attempt that runs to its end (fail: [1],
	// one attempt allowed): the preempted one did not count.
	e.Cycle()
	runChecked(t, e)
	if s := e.Stats(); s.Preemptions != 1 || s.Placements != 2 || s.Failed != 1 {
		t.Fatalf("stats %+v; log:\n%s", s, log)
	}
	if !strings.Contains(log.String(), "t=14s job 1 task a failed on n1") {
		t.Fatalf("the second attempt should run 10s from t=4s and fail:\n%s", log)
	}
}

// TestRetriesAndWalltime: a failing attempt is retried after its delay;
// an attempt longer than its walltime fails at the walltime.
func TestRetriesAndWalltime(t *testing.T) {
	e, log := newEngine(t, twoNodes, `
jobs:
  - tasks:
      - {name: flaky, duration: 10s, fail: [1], max_attempts: 2, retry_delay: 5s}
      - {name: slow, duration: 1h, walltime: 30s}
`)
	runChecked(t, e)
	for _, want := range []string{
		"t=10s job 1 task flaky failed on n01: exit code 1; retrying (attempt 2 of 2)",
		"t=15s job 1 task flaky started on",
		"t=25s job 1 task flaky finished on",
		"t=30s job 1 task slow failed on n01: walltime exceeded",
		"t=30s job 1 failed",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("missing %q in:\n%s", want, log)
		}
	}
}

// TestDependencies: dependents wait for every instance of a replicated
// task; a task that fails for good skips its dependents.
func TestDependencies(t *testing.T) {
	e, log := newEngine(t, twoNodes, `
jobs:
  - tasks:
      - {name: split, duration: 1s}
      - {name: work, duration: 5s, replicate: 3, depends_on: [split]}
      - {name: merge, duration: 1s, depends_on: [work]}
  - tasks:
      - {name: broken, duration: 1s, fail: [1]}
      - {name: after, duration: 1s, depends_on: [broken]}
`)
	runChecked(t, e)
	got := log.String()
	for _, want := range []string{
		"t=1s job 1 task work[2] started",
		"t=6s job 1 task merge started",
		"t=1s job 2 task broken failed",
		"t=1s job 2 task after skipped: a task it depends on did not finish",
		"t=1s job 2 failed",
		"t=7s job 1 finished",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Index(got, "merge started") < strings.Index(got, "work[2] finished") {
		t.Errorf("merge started before all of work finished:\n%s", got)
	}
}

// TestStuck: a task no node can hold ends the run with a line that says
// so, instead of looping.
func TestStuck(t *testing.T) {
	e, log := newEngine(t, twoNodes, "jobs: [{tasks: [{name: huge, cpu: 64}]}]\n")
	runChecked(t, e)
	for _, want := range []string{"job 1 task huge waiting: 2 nodes: not enough cpu (needs 64 cpu, most free 4)", "stuck: 1 task waits and nothing is left to happen"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("missing %q in:\n%s", want, log)
		}
	}
}

// TestWindow: the window takes higher priorities first and shares the
// rest evenly among a priority's groups, whatever their backlogs.
func TestWindow(t *testing.T) {
	var p pending
	jobs := int64(0)
	add := func(prio int, user string, n int) {
		// Jobs of one task each, so that the groups' jobs interleave.
		for range n {
			jobs++
			j := &job{id: jobs, user: user, queue: "q", priority: api.Priority(prio)}
			p.push(&task{id: jobs, job: j, replica: -1})
		}
	}
	add(3, "big", 500)
	add(4, "high", 3)
	add(3, "small", 2)
	add(3, "mid", 10)
	add(2, "low", 100)
	add(3, "big", 500)
	win := p.window(nil, 20)
	got := map[string]int{}
	for _, t := range win {
		got[t.job.user]++
	}
	want := map[string]int{"high": 3, "big": 8, "small": 2, "mid": 7}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("window %v, want %v", got, want)
	}
	// In the scheduler's order, so that Schedule need not sort it.
	if !slices.IsSortedFunc(win, func(a, b *task) int {
		return cmp.Or(cmp.Compare(b.job.priority, a.job.priority), fifo(a, b))
	}) {
		t.Fatal("window not in scheduler order")
	}
}

// TestRepeat: a repeated job is submitted every interval; ids follow the
// submission times across specs.
func TestRepeat(t *testing.T) {
	e, log := newEngine(t, twoNodes, `
jobs:
  - {user: a, repeat: 3, every: 1m, tasks: [{name: tick, duration: 1s}]}
  - {user: b, submit: 30s, tasks: [{name: once, duration: 1s}]}
`)
	runChecked(t, e)
	for _, want := range []string{
		"t=0s job 1 submitted by a", "t=30s job 2 submitted by b", "t=1m job 3 submitted by a", "t=2m job 4 submitted by a",
		"t=2m1s job 4 finished",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("missing %q in:\n%s", want, log)
		}
	}
}

// TestMaxTime: the run stops at the time limit, saying what is left.
func TestMaxTime(t *testing.T) {
	e, log := newEngine(t, "nodes: [{name: n1, cpus: 1}]\n", "jobs: [{tasks: [{name: a, duration: 1h, replicate: 3}]}]\n")
	e.MaxTime = 90 * time.Minute
	runChecked(t, e)
	if want := "t=1h stopped at the time limit (1h30m) with 1 task pending, 1 running\n"; !strings.HasSuffix(log.String(), want) {
		t.Errorf("log does not end with %q:\n%s", want, log)
	}
	if e.Step() {
		t.Error("Step went on after the end")
	}
}
