package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/shrike-grid/shrike/store"
)

// assertUntouched checks that the store still holds exactly job 1 with task
// 10 (the committed baseline) and nothing of a failed Apply.
func assertUntouched(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	jobID, taskID, err := s.MaxIDs(ctx)
	if err != nil || jobID != 1 || taskID != 10 {
		t.Errorf("MaxIDs after failed Apply = %d, %d, %v; want 1, 10", jobID, taskID, err)
	}
	got, tasks := getJob(t, s, 1)
	check(t, "baseline job", normJobs([]store.JobRecord{got})[0], wantJob(job(1, "alice", "RUNNING")))
	check(t, "baseline tasks", tasks, wantTasks(task(10, 1, 0, "RUNNING")))
	if nodes, lerr := s.ListNodes(ctx); lerr != nil || len(nodes) != 0 {
		t.Errorf("ListNodes after failed Apply = %v, %v; want none", nodes, lerr)
	}
	if sources, lerr := s.ListSources(ctx); lerr != nil || len(sources) != 0 {
		t.Errorf("ListSources after failed Apply = %v, %v; want none", sources, lerr)
	}
	if users, lerr := s.ListUsers(ctx); lerr != nil || len(users) != 0 {
		t.Errorf("ListUsers after failed Apply = %v, %v; want none", users, lerr)
	}
}

// baseline commits job 1 with task 10.
func baseline(t *testing.T, s store.Store) {
	t.Helper()
	apply(t, s, store.Mutation{Jobs: []store.JobRecord{job(1, "alice", "RUNNING")}, Tasks: []store.TaskRecord{task(10, 1, 0, "RUNNING")}})
}

// testAtomicDuplicateIndex: an Apply whose second mutation violates the
// unique (job, index) constraint leaves nothing of its first mutation.
func testAtomicDuplicateIndex(t *testing.T, o Options) {
	s := open(t, o)
	baseline(t, s)
	err := s.Apply(context.Background(),
		store.Mutation{
			Jobs:      []store.JobRecord{job(2, "bob", "PENDING")},
			JobStates: []store.JobStateUpdate{{ID: 1, State: "FINISHED", FinishedAt: ptr(at(1))}},
			Tasks:     []store.TaskRecord{task(20, 2, 0, "PENDING"), task(11, 1, 1, "PENDING")},
			Nodes:     []store.NodeRecord{node("n1", "FREE")},
			Sources:   []store.SourceRecord{source("pool", "alice")},
			Users:     []store.UserRecord{{Name: "alice", Role: "admin", CreatedAt: at(0)}},
		},
		store.Mutation{Tasks: []store.TaskRecord{task(21, 2, 0, "PENDING")}}, // same (job 2, index 0) as task 20
	)
	if err == nil {
		t.Fatalf("Apply with a duplicate (job, index): no error")
	}
	if _, _, err = s.GetJob(context.Background(), 2); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("job 2 after failed Apply: err = %v; want ErrNotFound", err)
	}
	assertUntouched(t, s)
}

// testAtomicTaskWithoutJob: a task must belong to a stored job.
func testAtomicTaskWithoutJob(t *testing.T, o Options) {
	s := open(t, o)
	baseline(t, s)
	err := s.Apply(context.Background(),
		store.Mutation{Nodes: []store.NodeRecord{node("n1", "FREE")}, Tasks: []store.TaskRecord{task(11, 1, 1, "PENDING")}},
		store.Mutation{Tasks: []store.TaskRecord{task(30, 3, 0, "PENDING")}}, // job 3 does not exist
	)
	if err == nil {
		t.Fatalf("Apply with a task of a missing job: no error")
	}
	assertUntouched(t, s)
}

// testCancelledApply: Apply with a done context fails and writes nothing.
func testCancelledApply(t *testing.T, o Options) {
	s := open(t, o)
	baseline(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Apply(ctx, store.Mutation{Nodes: []store.NodeRecord{node("n1", "FREE")}, Tasks: []store.TaskRecord{task(11, 1, 1, "PENDING")}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Apply(cancelled ctx) = %v; want context.Canceled", err)
	}
	assertUntouched(t, s)
}

// testDurable: everything committed survives Close and Reopen, and the
// reopened store takes writes.
func testDurable(t *testing.T, o Options) {
	if o.Reopen == nil {
		t.Skip("storetest: Options.Reopen is nil")
	}
	ctx := context.Background()
	s := o.Open(t)
	j := job(1, "alice", "RUNNING")
	tasks := []store.TaskRecord{fullTask(10, 1, 0), task(11, 1, 1, "PENDING")}
	n := node("n1", "BUSY")
	u := store.UserRecord{Name: "alice", Role: "admin", PasswordHash: "h", CreatedAt: at(0), Groups: []string{"ops"}}
	sess := store.SessionRecord{TokenHash: "tok", User: "alice", CreatedAt: at(0), ExpiresAt: at(60)}
	src, tok, cred := source("pool-n1", "alice"), token("t1", "pool-n1"), credential("n1", "pool-n1")
	apply(t, s, store.Mutation{Jobs: []store.JobRecord{j}, Tasks: tasks, Nodes: []store.NodeRecord{n},
		Sources: []store.SourceRecord{src}, EnrollTokens: []store.EnrollTokenRecord{tok}, Credentials: []store.CredentialRecord{cred}})
	apply(t, s, store.Mutation{JobStates: []store.JobStateUpdate{{ID: 1, State: "FAILED", FinishedAt: ptr(at(40))}}})
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	r := o.Reopen(t, s)
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close after reopen: %v", err)
		}
	})
	j.State, j.FinishedAt = "FAILED", ptr(at(40))
	gotJob, gotTasks := getJob(t, r, 1)
	check(t, "job after reopen", normJobs([]store.JobRecord{gotJob})[0], wantJob(j))
	check(t, "tasks after reopen", gotTasks, wantTasks(tasks...))
	nodes, err := r.ListNodes(ctx)
	if err != nil {
		t.Fatalf("ListNodes: %v", err)
	}
	check(t, "nodes after reopen", normNodes(nodes), []store.NodeRecord{wantNode(n)})
	gotUser, err := r.GetUser(ctx, "alice")
	if err != nil {
		t.Fatalf("GetUser after reopen: %v", err)
	}
	check(t, "user after reopen", normUser(gotUser), wantUser(u))
	check(t, "sources after reopen", listSources(t, r), wantSources(src))
	check(t, "tokens after reopen", listTokens(t, r), wantTokens(tok))
	check(t, "credentials after reopen", listCredentials(t, r), wantCredentials(cred))
	gotSess, err := r.GetSession(ctx, "tok")
	if err != nil {
		t.Fatalf("GetSession after reopen: %v", err)
	}
	check(t, "session after reopen", gotSess, wantSession(sess))
	if jobID, taskID, merr := r.MaxIDs(ctx); merr != nil || jobID != 1 || taskID != 11 {
		t.Errorf("MaxIDs after reopen = %d, %d, %v; want 1, 11", jobID, taskID, merr)
	}
	apply(t, r, store.Mutation{Jobs: []store.JobRecord{job(2, "bob", "PENDING")}})
	if active, _, lerr := r.LoadActive(ctx); lerr != nil || len(active) != 1 || active[0].ID != 2 {
		t.Errorf("LoadActive after reopen and write = %v, %v; want job 2", ids(active), lerr)
	}
}
