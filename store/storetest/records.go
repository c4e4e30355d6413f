package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/shrike-grid/shrike/store"
)

func testJobRoundTrip(t *testing.T, o Options) {
	s := open(t, o)
	full := job(1, "alice", "FAILED")
	full.Priority = 5
	full.Spec = []byte{0, 1, 2, 0xfe, 0xff, '{', '}'} // bytes, not text
	full.FinishedAt = ptr(at(30))
	bare := job(2, "bob", "PENDING")
	bare.Priority = 0
	bare.Spec = nil
	apply(t, s, store.Mutation{Jobs: []store.JobRecord{full, bare}})

	for _, want := range []store.JobRecord{full, bare} {
		got, tasks := getJob(t, s, want.ID)
		check(t, fmt.Sprintf("job %d", want.ID), normJobs([]store.JobRecord{got})[0], wantJob(want))
		check(t, fmt.Sprintf("tasks of job %d", want.ID), tasks, []store.TaskRecord{})
	}
}

func testTaskRoundTrip(t *testing.T, o Options) {
	s := open(t, o)
	full := fullTask(10, 1, 0)
	bare := task(11, 1, 1, "PENDING")
	zeroExit := task(12, 1, 2, "FINISHED") // exit code 0 is not "no exit code"
	zeroExit.ExitCode = ptr(0)
	zeroExit.FinishedAt = ptr(at(5))
	negExit := task(13, 1, 3, "FAILED")
	negExit.ExitCode = ptr(-1)
	apply(t, s, store.Mutation{
		Jobs:  []store.JobRecord{job(1, "alice", "RUNNING")},
		Tasks: []store.TaskRecord{full, bare, zeroExit, negExit},
	})
	_, got := getJob(t, s, 1)
	check(t, "tasks", got, wantTasks(full, bare, zeroExit, negExit))
}

func testNodeRoundTrip(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	if got, err := s.ListNodes(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ListNodes on empty store = %v, %v; want none", got, err)
	}
	b := node("b", "BUSY")
	a := node("a", "FREE")
	bare := store.NodeRecord{Name: "c", State: "DOWN", RegisteredAt: at(0), LastSeen: at(0)}
	apply(t, s, store.Mutation{Nodes: []store.NodeRecord{b, a, bare}})
	got, err := s.ListNodes(ctx)
	if err != nil {
		t.Fatalf("ListNodes: %v", err)
	}
	check(t, "nodes by name", normNodes(got), []store.NodeRecord{wantNode(a), wantNode(b), wantNode(bare)})
}

func testUpsertOverwrites(t *testing.T, o Options) {
	s := open(t, o)
	j := job(1, "alice", "FINISHED")
	j.FinishedAt = ptr(at(9))
	tk := fullTask(10, 1, 0)
	n := node("n1", "BUSY")
	apply(t, s, store.Mutation{Jobs: []store.JobRecord{j}, Tasks: []store.TaskRecord{tk}, Nodes: []store.NodeRecord{n}})

	// Second write: every field changes, non-nil values become nil.
	j2 := job(1, "bob", "PENDING")
	j2.Name, j2.Priority, j2.Spec, j2.SubmittedAt = "renamed", 1, []byte(`{"v":2}`), at(100)
	tk2 := task(10, 1, 0, "PENDING")
	tk2.Name, tk2.Attempt = "retried", 4
	n2 := store.NodeRecord{Name: "n1", State: "DOWN", Instance: "new", Facts: []byte(`{}`), RegisteredAt: at(50), LastSeen: at(51)}
	apply(t, s, store.Mutation{Jobs: []store.JobRecord{j2}, Tasks: []store.TaskRecord{tk2}, Nodes: []store.NodeRecord{n2}})

	gotJob, gotTasks := getJob(t, s, 1)
	check(t, "job", normJobs([]store.JobRecord{gotJob})[0], wantJob(j2))
	check(t, "tasks", gotTasks, wantTasks(tk2))
	nodes, err := s.ListNodes(context.Background())
	if err != nil {
		t.Fatalf("ListNodes: %v", err)
	}
	check(t, "nodes", normNodes(nodes), []store.NodeRecord{wantNode(n2)})
}

// testLaterWriteWins checks that mutations of one Apply act in order: a
// later upsert of the same row wins, within one mutation and across them,
// and a state change applies to a job upserted earlier in the same call.
func testLaterWriteWins(t *testing.T, o Options) {
	s := open(t, o)
	a1, a2, a3 := task(10, 1, 0, "PENDING"), task(10, 1, 0, "RUNNING"), task(10, 1, 0, "FINISHED")
	a3.ExitCode = ptr(0)
	b1, b2 := task(11, 1, 1, "PENDING"), task(11, 1, 1, "FAILED")
	n1, n2 := node("n", "FREE"), node("n", "BUSY")
	j2 := job(2, "carol", "PENDING")
	j2b := job(2, "carol", "RUNNING")
	apply(t, s,
		store.Mutation{Jobs: []store.JobRecord{job(1, "alice", "PENDING"), job(2, "carol", "PENDING")}, Tasks: []store.TaskRecord{a1, b1}, Nodes: []store.NodeRecord{n1}},
		store.Mutation{Tasks: []store.TaskRecord{a2, b2}, Nodes: []store.NodeRecord{n2}},
		store.Mutation{
			JobStates: []store.JobStateUpdate{{ID: 1, State: "RUNNING"}, {ID: 2, State: "KILLED", FinishedAt: ptr(at(7))}},
			Tasks:     []store.TaskRecord{a3},
		},
		// Job 2 is upserted after its state change: the whole row wins.
		store.Mutation{Jobs: []store.JobRecord{j2}},
		store.Mutation{Jobs: []store.JobRecord{j2b}},
	)
	j1, tasks := getJob(t, s, 1)
	if j1.State != "RUNNING" || j1.FinishedAt != nil {
		t.Errorf("job 1 state = %s, finished %v; want RUNNING, nil", j1.State, j1.FinishedAt)
	}
	check(t, "tasks", tasks, wantTasks(a3, b2))
	got2, _ := getJob(t, s, 2)
	check(t, "job 2", normJobs([]store.JobRecord{got2})[0], wantJob(j2b))
	nodes, err := s.ListNodes(context.Background())
	if err != nil {
		t.Fatalf("ListNodes: %v", err)
	}
	check(t, "nodes", normNodes(nodes), []store.NodeRecord{wantNode(n2)})

	// A state change of a job stored by an earlier Apply, then a task
	// upsert back to the first version.
	apply(t, s,
		store.Mutation{JobStates: []store.JobStateUpdate{{ID: 1, State: "FAILED", FinishedAt: ptr(at(8))}}},
		store.Mutation{Tasks: []store.TaskRecord{a1}},
	)
	j1, tasks = getJob(t, s, 1)
	if j1.State != "FAILED" || j1.FinishedAt == nil || !j1.FinishedAt.Equal(at(8)) {
		t.Errorf("job 1 state = %s, finished %v; want FAILED at %v", j1.State, j1.FinishedAt, at(8))
	}
	check(t, "tasks after second apply", tasks, wantTasks(a1, b2))
}

// testJobStates checks that a state change touches only state and finish
// time.
func testJobStates(t *testing.T, o Options) {
	s := open(t, o)
	j := job(1, "alice", "RUNNING")
	apply(t, s, store.Mutation{Jobs: []store.JobRecord{j}, Tasks: []store.TaskRecord{task(10, 1, 0, "RUNNING")}})

	apply(t, s, store.Mutation{JobStates: []store.JobStateUpdate{{ID: 1, State: "FINISHED", FinishedAt: ptr(at(20))}}})
	want := j
	want.State, want.FinishedAt = "FINISHED", ptr(at(20))
	got, tasks := getJob(t, s, 1)
	check(t, "finished job", normJobs([]store.JobRecord{got})[0], wantJob(want))
	check(t, "tasks untouched", tasks, wantTasks(task(10, 1, 0, "RUNNING")))

	// Back to a non-terminal state: the finish time is cleared.
	apply(t, s, store.Mutation{JobStates: []store.JobStateUpdate{{ID: 1, State: "RUNNING"}}})
	got, _ = getJob(t, s, 1)
	check(t, "reopened job", normJobs([]store.JobRecord{got})[0], wantJob(j))
}

// testJobStatesUnknownJob: a state change of a job that does not exist is an
// error wrapping store.ErrNotFound, and the whole Apply is rolled back.
func testJobStatesUnknownJob(t *testing.T, o Options) {
	s := open(t, o)
	err := s.Apply(context.Background(), store.Mutation{
		Jobs:      []store.JobRecord{job(1, "alice", "PENDING")},
		JobStates: []store.JobStateUpdate{{ID: 99, State: "KILLED"}},
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Apply(state of job 99) = %v; want ErrNotFound", err)
	}
	if _, _, err = s.GetJob(context.Background(), 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("job 1 after failed Apply: err = %v; want ErrNotFound", err)
	}
}

func testEmptyApply(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	if err := s.Apply(ctx); err != nil {
		t.Errorf("Apply() = %v", err)
	}
	if err := s.Apply(ctx, store.Mutation{}, store.Mutation{Tasks: []store.TaskRecord{}}); err != nil {
		t.Errorf("Apply(empty mutations) = %v", err)
	}
}

// testManyRows writes more rows in one Apply than any sane statement batch.
func testManyRows(t *testing.T, o Options) {
	s := open(t, o)
	const jobs, perJob = 3, 1000
	var m store.Mutation
	id := int64(1)
	for j := int64(1); j <= jobs; j++ {
		m.Jobs = append(m.Jobs, job(j, "alice", "PENDING"))
		for i := range perJob {
			m.Tasks = append(m.Tasks, task(id, j, i, "PENDING"))
			id++
		}
	}
	apply(t, s, m)
	active, tasks, err := s.LoadActive(context.Background())
	if err != nil {
		t.Fatalf("LoadActive: %v", err)
	}
	if len(active) != jobs || len(tasks) != jobs*perJob {
		t.Fatalf("LoadActive = %d jobs, %d tasks; want %d, %d", len(active), len(tasks), jobs, jobs*perJob)
	}
	check(t, "tasks", tasks, wantTasks(m.Tasks...))
}

// testConcurrentApply: a Store is safe for concurrent use.
func testConcurrentApply(t *testing.T, o Options) {
	s := open(t, o)
	apply(t, s, store.Mutation{Jobs: []store.JobRecord{job(1, "alice", "RUNNING")}})
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := w*each + i
				tk := task(int64(100+n), 1, n, "PENDING")
				errs <- s.Apply(context.Background(), store.Mutation{Tasks: []store.TaskRecord{tk}})
				if _, _, err := s.GetJob(context.Background(), 1); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Apply or GetJob: %v", err)
		}
	}
	if _, tasks := getJob(t, s, 1); len(tasks) != workers*each {
		t.Errorf("got %d tasks; want %d", len(tasks), workers*each)
	}
}
