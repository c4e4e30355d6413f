package server

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
	"github.com/shrike-grid/shrike/store"
)

// TestRunningIndexChargesAndStopsHolds: an attempt joins the running
// index when a change writes it RUNNING and leaves it when a change writes
// it over; it is then charged to fair share (CPUs × slots × time from its
// dispatch) and every node of a multi-node attempt is told to stop it.
func TestRunningIndexChargesAndStopsHolds(t *testing.T) {
	srv, err := New(TestConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.closeAll)
	clock := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	srv.now = func() time.Time { return clock }
	spec := api.JobSpec{Name: "j", Queue: "default", Tasks: []api.TaskSpec{{Name: "t", Command: []string{"true"},
		Resources: api.Resources{CPU: 2}, MaxAttempts: 1, Nodes: 3, Walltime: api.Duration(time.Hour)}}}
	j := &jobState{rec: store.JobRecord{ID: 1, Owner: "ann"}, spec: spec}
	tk := &taskState{job: j, spec: &j.spec.Tasks[0]}
	tk.rec = store.TaskRecord{ID: 7, JobID: 1, Name: "t", State: string(api.TaskRunning), Attempt: 1, Node: "n1", DispatchedAt: timePtr(clock)}
	tk.qt = scheduler.QueuedTask{TaskID: 7, JobID: 1, Priority: api.PriorityNormal, MilliCPU: 2000, User: "ann", Queue: "default", Walltime: time.Hour}
	tk.rec.Others = []string{"n2", "n2"}
	j.tasks = []*taskState{tk}
	srv.jobs[1], srv.tasks[7] = j, tk

	var c change
	c.task(tk)
	srv.noteRunning(&c)
	run := srv.snapshotRunning()
	if len(run) != 1 || !slices.Equal(run[0].Nodes, []string{"n1", "n2", "n2"}) || !run[0].End.Equal(clock.Add(time.Hour)) {
		t.Fatalf("running %+v, want task 7 on n1, n2, n2 until its walltime", run)
	}

	clock = clock.Add(10 * time.Second)
	tk.rec.State = string(api.TaskFinished)
	c = change{}
	c.task(tk)
	srv.noteRunning(&c)
	if got := srv.fair.Usage("default", "ann", clock); math.Abs(got-60) > 1e-9 {
		t.Errorf("usage %.3f CPU-seconds, want 60 (2 CPUs × 3 slots × 10 s)", got)
	}
	if len(c.kills["n1"]) != 1 || len(c.kills["n2"]) != 1 || c.kills["n2"][0].Attempt != 1 {
		t.Errorf("kills %+v, want the attempt stopped once on n1 and n2", c.kills)
	}
	if len(srv.running) != 0 || tk.rec.Others != nil {
		t.Errorf("index %v, others %v after the attempt ended", srv.running, tk.rec.Others)
	}
	qs, _ := srv.Queues(context.Background(), user("ann"))
	if len(qs) != 1 || len(qs[0].Users) != 1 || qs[0].Users[0].Share != 1 || qs[0].Usage != 60 {
		t.Errorf("queues %+v", qs)
	}
}
