package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/shrike-grid/shrike/store"
)

func testMaxIDs(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	jobID, taskID, err := s.MaxIDs(ctx)
	if err != nil || jobID != 0 || taskID != 0 {
		t.Fatalf("MaxIDs on empty store = %d, %d, %v; want 0, 0, nil", jobID, taskID, err)
	}
	// IDs written out of order, the highest on a job that then finishes.
	apply(t, s, store.Mutation{
		Jobs:  []store.JobRecord{job(3, "a", "RUNNING"), job(10, "a", "PENDING"), job(7, "a", "PENDING")},
		Tasks: []store.TaskRecord{task(100, 10, 0, "PENDING"), task(42, 3, 0, "RUNNING"), task(77, 7, 0, "PENDING")},
	})
	apply(t, s, store.Mutation{JobStates: []store.JobStateUpdate{{ID: 10, State: "KILLED", FinishedAt: ptr(at(1))}}})
	jobID, taskID, err = s.MaxIDs(ctx)
	if err != nil || jobID != 10 || taskID != 100 {
		t.Errorf("MaxIDs = %d, %d, %v; want 10, 100, nil", jobID, taskID, err)
	}
}

func testLoadActive(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	jobs, tasks, err := s.LoadActive(ctx)
	if err != nil || len(jobs) != 0 || len(tasks) != 0 {
		t.Fatalf("LoadActive on empty store = %d jobs, %d tasks, %v; want none", len(jobs), len(tasks), err)
	}
	// Jobs and tasks written out of order; one job of each state.
	states := map[int64]string{5: "RUNNING", 2: "PENDING", 9: "FINISHED", 4: "FAILED", 7: "KILLED", 6: "PENDING"}
	var m store.Mutation
	for _, id := range []int64{5, 2, 9, 4, 7, 6} {
		m.Jobs = append(m.Jobs, job(id, "alice", states[id]))
		for _, idx := range []int{2, 0, 1} {
			m.Tasks = append(m.Tasks, task(id*10+int64(idx), id, idx, "PENDING"))
		}
	}
	apply(t, s, m)
	// Job 6 becomes terminal through a state change.
	apply(t, s, store.Mutation{JobStates: []store.JobStateUpdate{{ID: 6, State: "KILLED", FinishedAt: ptr(at(3))}}})

	jobs, tasks, err = s.LoadActive(ctx)
	if err != nil {
		t.Fatalf("LoadActive: %v", err)
	}
	check(t, "active job IDs", ids(jobs), []int64{2, 5})
	check(t, "active jobs", normJobs(jobs), wantJobs(job(2, "alice", "PENDING"), job(5, "alice", "RUNNING")))
	check(t, "task (job, index)", taskKeys(tasks), [][2]int64{{2, 0}, {2, 1}, {2, 2}, {5, 0}, {5, 1}, {5, 2}})
	check(t, "tasks", tasks, wantTasks(
		task(20, 2, 0, "PENDING"), task(21, 2, 1, "PENDING"), task(22, 2, 2, "PENDING"),
		task(50, 5, 0, "PENDING"), task(51, 5, 1, "PENDING"), task(52, 5, 2, "PENDING"),
	))
}

func testGetJob(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	if _, _, err := s.GetJob(ctx, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetJob(1) on empty store: err = %v; want ErrNotFound", err)
	}
	apply(t, s, store.Mutation{
		Jobs:  []store.JobRecord{job(1, "alice", "RUNNING"), job(2, "bob", "PENDING")},
		Tasks: []store.TaskRecord{task(12, 1, 2, "PENDING"), task(20, 2, 0, "PENDING"), task(10, 1, 0, "RUNNING"), task(11, 1, 1, "PENDING")},
	})
	got, tasks := getJob(t, s, 1)
	check(t, "job", normJobs([]store.JobRecord{got})[0], wantJob(job(1, "alice", "RUNNING")))
	check(t, "tasks by index", tasks, wantTasks(task(10, 1, 0, "RUNNING"), task(11, 1, 1, "PENDING"), task(12, 1, 2, "PENDING")))
	if _, _, err := s.GetJob(ctx, 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetJob(3): err = %v; want ErrNotFound", err)
	}
}

// listFixture stores jobs 1..8: owners alternate alice/bob, states cycle
// PENDING, RUNNING, FINISHED, FAILED.
func listFixture(t *testing.T, s store.Store) {
	t.Helper()
	states := []string{"PENDING", "RUNNING", "FINISHED", "FAILED"}
	var m store.Mutation
	for id := int64(1); id <= 8; id++ {
		owner := "alice"
		if id%2 == 0 {
			owner = "bob"
		}
		m.Jobs = append(m.Jobs, job(id, owner, states[(id-1)%4]))
	}
	apply(t, s, m)
}

func testListJobs(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	if jobs, total, err := s.ListJobs(ctx, store.JobQuery{}); err != nil || len(jobs) != 0 || total != 0 {
		t.Fatalf("ListJobs on empty store = %d jobs, total %d, %v; want none", len(jobs), total, err)
	}
	listFixture(t, s)
	cases := []struct {
		q     store.JobQuery
		ids   []int64
		total int
	}{
		{store.JobQuery{}, []int64{8, 7, 6, 5, 4, 3, 2, 1}, 8},
		{store.JobQuery{Offset: 2, Limit: 3}, []int64{6, 5, 4}, 8},
		{store.JobQuery{Offset: 6, Limit: 3}, []int64{2, 1}, 8},
		{store.JobQuery{Offset: 8}, nil, 8},
		{store.JobQuery{Offset: 100, Limit: 5}, nil, 8},
		{store.JobQuery{Owner: "alice"}, []int64{7, 5, 3, 1}, 4},
		{store.JobQuery{Owner: "alice", Limit: 1, Offset: 1}, []int64{5}, 4},
		{store.JobQuery{Owner: "nobody"}, nil, 0},
		{store.JobQuery{States: []string{"PENDING"}}, []int64{5, 1}, 2},
		{store.JobQuery{States: []string{"FINISHED", "FAILED"}}, []int64{8, 7, 4, 3}, 4},
		{store.JobQuery{Owner: "bob", States: []string{"RUNNING", "FAILED"}}, []int64{8, 6, 4, 2}, 4},
		{store.JobQuery{Owner: "bob", States: []string{"PENDING"}}, nil, 0},
	}
	for _, c := range cases {
		jobs, total, err := s.ListJobs(ctx, c.q)
		if err != nil {
			t.Errorf("ListJobs(%+v): %v", c.q, err)
			continue
		}
		check(t, fmt.Sprintf("ListJobs(%+v) IDs", c.q), ids(jobs), c.ids)
		if total != c.total {
			t.Errorf("ListJobs(%+v) total = %d; want %d", c.q, total, c.total)
		}
	}
	// Listed records are whole.
	jobs, _, err := s.ListJobs(ctx, store.JobQuery{Limit: 1})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("ListJobs(Limit 1) = %d jobs, %v", len(jobs), err)
	}
	check(t, "listed job", normJobs(jobs), wantJobs(job(8, "bob", "FAILED")))

	for _, q := range []store.JobQuery{{Offset: -1}, {Limit: -1}} {
		if _, _, err = s.ListJobs(ctx, q); err == nil {
			t.Errorf("ListJobs(%+v): no error; want one", q)
		}
	}
}

// testListJobsLimits: Limit 0 means 50; more than 1000 means 1000.
func testListJobsLimits(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	const n = 1005
	var m store.Mutation
	for id := int64(1); id <= n; id++ {
		m.Jobs = append(m.Jobs, job(id, "alice", "PENDING"))
	}
	apply(t, s, m)
	for _, c := range []struct{ limit, want int }{{0, store.DefaultJobLimit}, {7, 7}, {1000, 1000}, {5000, store.MaxJobLimit}} {
		jobs, total, err := s.ListJobs(ctx, store.JobQuery{Limit: c.limit})
		if err != nil {
			t.Fatalf("ListJobs(Limit %d): %v", c.limit, err)
		}
		if len(jobs) != c.want || total != n {
			t.Errorf("ListJobs(Limit %d) = %d jobs, total %d; want %d, %d", c.limit, len(jobs), total, c.want, n)
		}
		if len(jobs) > 0 && (jobs[0].ID != n || !slices.IsSortedFunc(jobs, func(a, b store.JobRecord) int { return int(b.ID - a.ID) })) {
			t.Errorf("ListJobs(Limit %d) not newest first from %d", c.limit, n)
		}
	}
}

func testTaskCounts(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	apply(t, s, store.Mutation{
		Jobs: []store.JobRecord{job(1, "a", "RUNNING"), job(2, "a", "FINISHED"), job(3, "a", "PENDING"), job(4, "a", "PENDING")},
		Tasks: []store.TaskRecord{
			task(10, 1, 0, "PENDING"), task(11, 1, 1, "RUNNING"), task(12, 1, 2, "PENDING"),
			task(20, 2, 0, "FINISHED"),
			task(40, 4, 0, "SKIPPED"), // job 4 is not asked for
		},
	})
	got, err := s.TaskCounts(ctx, []int64{1, 2, 3, 99})
	if err != nil {
		t.Fatalf("TaskCounts: %v", err)
	}
	want := map[int64]map[string]int{1: {"PENDING": 2, "RUNNING": 1}, 2: {"FINISHED": 1}}
	for id := range got {
		if len(got[id]) == 0 {
			delete(got, id) // a job without tasks may be present with no counts
		}
	}
	check(t, "counts", got, want)

	empty, err := s.TaskCounts(ctx, nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("TaskCounts(nil) = %v, %v; want empty", empty, err)
	}
}

// testHeldTaskIDs: a job holds the task IDs FirstTaskID..+TaskCount-1
// whether their rows are written or not. MaxIDs never hands them out
// again, TaskCounts counts the missing rows as PENDING, and writing a row
// later (its first change) leaves the counts right.
func testHeldTaskIDs(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	array := job(5, "a", "RUNNING")
	array.FirstTaskID, array.TaskCount = 1000, 500 // IDs 1000..1499, rows written on first change
	apply(t, s, store.Mutation{
		Jobs:  []store.JobRecord{job(3, "a", "RUNNING"), array},
		Tasks: []store.TaskRecord{task(42, 3, 0, "RUNNING"), task(1000, 5, 0, "RUNNING"), task(1001, 5, 1, "FINISHED")},
	})
	jobID, taskID, err := s.MaxIDs(ctx)
	if err != nil || jobID != 5 || taskID != 1499 {
		t.Errorf("MaxIDs = %d, %d, %v; want 5, 1499 (held, not written), nil", jobID, taskID, err)
	}
	got, err := s.TaskCounts(ctx, []int64{5})
	if err != nil {
		t.Fatalf("TaskCounts: %v", err)
	}
	check(t, "counts", got, map[int64]map[string]int{5: {"RUNNING": 1, "FINISHED": 1, "PENDING": 498}})

	apply(t, s, store.Mutation{Tasks: []store.TaskRecord{task(1499, 5, 499, "RUNNING")}})
	got, err = s.TaskCounts(ctx, []int64{5})
	if err != nil {
		t.Fatalf("TaskCounts: %v", err)
	}
	check(t, "counts after a first change", got, map[int64]map[string]int{5: {"RUNNING": 2, "FINISHED": 1, "PENDING": 497}})

	rec, tasks := getJob(t, s, 5)
	if rec.FirstTaskID != 1000 || rec.TaskCount != 500 || len(tasks) != 3 {
		t.Errorf("GetJob = first %d, count %d, %d rows; want 1000, 500, 3 rows", rec.FirstTaskID, rec.TaskCount, len(tasks))
	}
	jobs, _, err := s.LoadActive(ctx)
	if err != nil || len(jobs) != 2 || jobs[1].FirstTaskID != 1000 || jobs[1].TaskCount != 500 {
		t.Errorf("LoadActive = %+v, %v; want job 5 with its held IDs", jobs, err)
	}
}

// testJobParents: a job's parent round-trips, JobParents lists every
// child's, and ListJobs filters by IDs and by parent.
func testJobParents(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	if parents, err := s.JobParents(ctx); err != nil || len(parents) != 0 {
		t.Fatalf("JobParents on empty store = %v, %v; want none", parents, err)
	}
	child, grandchild := job(2, "alice", "RUNNING"), job(3, "alice", "PENDING")
	child.Parent, grandchild.Parent = 1, 2
	apply(t, s, store.Mutation{Jobs: []store.JobRecord{job(1, "alice", "RUNNING"), child, grandchild, job(4, "alice", "PENDING")}})
	parents, err := s.JobParents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "JobParents", parents, map[int64]int64{2: 1, 3: 2})
	got, _, err := s.GetJob(ctx, 3)
	if err != nil || got.Parent != 2 {
		t.Errorf("GetJob(3) parent = %d, %v; want 2", got.Parent, err)
	}
	for _, c := range []struct {
		q   store.JobQuery
		ids []int64
	}{
		{store.JobQuery{IDs: []int64{1, 3}}, []int64{3, 1}},
		{store.JobQuery{IDs: []int64{}}, nil},
		{store.JobQuery{Parent: 1}, []int64{2}},
		{store.JobQuery{Parent: 4}, nil},
	} {
		jobs, total, err := s.ListJobs(ctx, c.q)
		if err != nil {
			t.Errorf("ListJobs(%+v): %v", c.q, err)
			continue
		}
		check(t, fmt.Sprintf("ListJobs(%+v) IDs", c.q), ids(jobs), c.ids)
		if total != len(c.ids) {
			t.Errorf("ListJobs(%+v) total = %d; want %d", c.q, total, len(c.ids))
		}
	}
}
