package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/scheduler"
)

func prioJob(name string, pr api.Priority, argv ...string) api.JobSpec {
	if len(argv) == 0 {
		argv = []string{"true"}
	}
	return api.JobSpec{Name: name, Priority: pr, Tasks: []api.TaskSpec{commandTask("t", argv)}}
}

// TestPriorityLimits: users may submit up to normal, members of a group in
// priority_max_by_group up to its level, admins any; the same limits hold
// when the priority of a job is changed, and only its owner or an admin
// may change it.
func TestPriorityLimits(t *testing.T) {
	cfg := TestConfig(t.TempDir())
	cfg.PriorityMaxByGroup = map[string]string{"physics": "high", "chem": "low"}
	srv, _ := runServer(t, cfg)
	ctx := context.Background()
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ann := rest.Principal{Name: "ann", Role: api.RoleUser, Groups: []string{"chem"}}
	bob := rest.Principal{Name: "bob", Role: api.RoleUser, Groups: []string{"chem", "physics"}}

	cases := []struct {
		who     rest.Principal
		pr      api.Priority
		allowed string // "" when accepted
	}{
		{ann, api.PriorityNormal, ""},
		{ann, api.PriorityHigh, "normal"},
		{bob, api.PriorityHigh, ""},
		{bob, api.PriorityHighest, "high"},
		{admin, api.PriorityHighest, ""},
	}
	for _, c := range cases {
		_, err := srv.SubmitJob(ctx, c.who, prioJob("j", c.pr))
		if c.allowed == "" {
			if err != nil {
				t.Errorf("%s submitting at %s: %v", c.who.Name, c.pr, err)
			}
			continue
		}
		msg, ok := fieldsOf(err)["priority"]
		if !api.IsCode(err, api.CodeInvalid) || !ok || !strings.Contains(msg, ", "+c.allowed+" ") {
			t.Errorf("%s submitting at %s: %v, want invalid on priority naming %s", c.who.Name, c.pr, err, c.allowed)
		}
	}

	resp, err := srv.SubmitJob(ctx, ann, prioJob("mine", api.PriorityLow))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SetJobPriority(ctx, ann, resp.ID, api.PriorityHigh); !api.IsCode(err, api.CodeInvalid) {
		t.Errorf("ann raising her job to high: %v, want invalid", err)
	}
	if _, err := srv.SetJobPriority(ctx, bob, resp.ID, api.PriorityLow); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("bob changing ann's job: %v, want not found", err)
	}
	job, err := srv.SetJobPriority(ctx, ann, resp.ID, api.PriorityNormal)
	if err != nil || job.Priority != api.PriorityNormal {
		t.Fatalf("ann raising her job to normal: %+v, %v", job, err)
	}
	if job, err = srv.SetJobPriority(ctx, admin, resp.ID, api.PriorityHighest); err != nil || job.Priority != api.PriorityHighest {
		t.Fatalf("admin raising ann's job to highest: %+v, %v", job, err)
	}
	if err := srv.KillJob(ctx, admin, resp.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SetJobPriority(ctx, admin, resp.ID, api.PriorityLow); !api.IsCode(err, api.CodeConflict) {
		t.Errorf("changing a killed job: %v, want conflict", err)
	}
}

// TestRaisedPriorityRunsFirst: on a node with one slot, a job whose
// priority was raised while it waited starts before an older job when the
// slot frees.
func TestRaisedPriorityRunsFirst(t *testing.T) {
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	ctx := context.Background()
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	startNodeWith(t, srv, "solo", func(c *node.Config) { c.Slots, c.CPUs = 1, 1 })
	waitReady(t, srv, "solo")

	gate := filepath.Join(t.TempDir(), "open")
	block, err := srv.SubmitJob(ctx, admin, prioJob("block", api.PriorityNormal, "sh", "-c", "while [ ! -e "+gate+" ]; do sleep 0.05; done"))
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "the blocking job running", func() bool {
		j, err := srv.GetJob(ctx, admin, block.ID)
		return err == nil && j.State == api.JobRunning
	})
	older, err := srv.SubmitJob(ctx, admin, prioJob("older", api.PriorityNormal))
	if err != nil {
		t.Fatal(err)
	}
	newer, err := srv.SubmitJob(ctx, admin, prioJob("newer", api.PriorityLow))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SetJobPriority(ctx, admin, newer.ID, api.PriorityHigh); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	o := waitJobDone(t, srv, admin, older.ID)
	n := waitJobDone(t, srv, admin, newer.ID)
	if o.State != api.JobFinished || n.State != api.JobFinished {
		t.Fatalf("older %s, newer %s, want both FINISHED", o.State, n.State)
	}
	if !n.Tasks[0].StartedAt.Before(*o.Tasks[0].StartedAt) {
		t.Errorf("newer (raised to high) started at %v, older (normal) at %v: want newer first", n.Tasks[0].StartedAt, o.Tasks[0].StartedAt)
	}
}

// TestPriorityChangeSurvivesRestart: the new level is in the job's row and
// spec, and the restarted server queues the job's tasks at it.
func TestPriorityChangeSurvivesRestart(t *testing.T) {
	cfg := TestConfig(t.TempDir())
	srv, stop := runServer(t, cfg)
	ctx := context.Background()
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	resp, err := srv.SubmitJob(ctx, admin, prioJob("j", api.PriorityLow))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SetJobPriority(ctx, admin, resp.ID, api.PriorityHighest); err != nil {
		t.Fatal(err)
	}
	stop()

	srv, _ = runServer(t, cfg)
	job, err := srv.GetJob(ctx, admin, resp.ID)
	if err != nil || job.Priority != api.PriorityHighest {
		t.Fatalf("after restart: %+v, %v, want priority highest", job, err)
	}
	spec, err := srv.GetJobSpec(ctx, admin, resp.ID)
	if err != nil || spec.Priority != api.PriorityHighest {
		t.Fatalf("spec after restart: %+v, %v", spec, err)
	}
	srv.mu.Lock()
	queued := srv.jobs[resp.ID].tasks[0].qt.Priority
	srv.mu.Unlock()
	if queued != api.PriorityHighest {
		t.Errorf("the restarted server queues the task at %s, want highest", queued)
	}
}

func TestConfigRefusesUnknownGroupPriority(t *testing.T) {
	cfg := TestConfig(t.TempDir())
	cfg.PriorityMaxByGroup = map[string]string{"physics": "urgent"}
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "priority_max_by_group.physics") {
		t.Fatalf("Validate: %v, want an error on priority_max_by_group.physics", err)
	}
}

// TestReadyQueueResort: a task whose priority was raised comes to the head
// of the ready queue, even past the window the scheduler looks at.
func TestReadyQueueResort(t *testing.T) {
	var q readyQueue
	tasks := make([]*taskState, 5)
	for i := range tasks {
		tasks[i] = &taskState{qt: scheduler.QueuedTask{TaskID: int64(i + 1), JobID: int64(i + 1), Priority: api.PriorityNormal}}
		q.push(tasks[i])
	}
	if h := q.head(1); h[0] != tasks[0] {
		t.Fatalf("head before the change: task %d, want 1", h[0].qt.TaskID)
	}
	tasks[4].qt.Priority = api.PriorityHigh
	q.resort()
	if h := q.head(2); h[0] != tasks[4] || h[1] != tasks[0] {
		t.Fatalf("head after raising task 5: tasks %d, %d; want 5, 1", h[0].qt.TaskID, h[1].qt.TaskID)
	}
}
