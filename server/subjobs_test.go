package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
)

// newUser creates user name and returns it as a principal.
func newUser(t *testing.T, srv *Server, name string) rest.Principal {
	t.Helper()
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	if _, err := srv.CreateUser(context.Background(), admin, api.CreateUserRequest{Name: name, Password: "password1"}); err != nil {
		t.Fatal(err)
	}
	return rest.Principal{Name: name, Role: api.RoleUser}
}

// taskScope waits until task of job id runs and returns the principal its
// job-scoped token authenticates as, and the token.
func taskScope(t *testing.T, srv *Server, id int64, task string) (rest.Principal, string) {
	t.Helper()
	var token string
	waitUntil(t, 30*time.Second, fmt.Sprintf("job %d task %s running", id, task), func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		j := srv.jobs[id]
		if j == nil {
			return false
		}
		for _, ts := range j.tasks {
			if ts.rec.Name == task && api.TaskState(ts.rec.State) == api.TaskRunning {
				token = srv.taskToken(ts)
				return true
			}
		}
		return false
	})
	p, err := srv.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatalf("job-scoped token of job %d task %s: %v", id, task, err)
	}
	if p.Scope == nil || p.Scope.JobID != id || p.Scope.Task != task {
		t.Fatalf("job-scoped principal %+v, want scope job %d task %s", p, id, task)
	}
	return p, token
}

// wantErr fails unless err is an *api.Error with code, and with msg in its
// message (when msg is set).
func wantErr(t *testing.T, what string, err error, code api.Code, msg string) {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != code || !strings.Contains(ae.Error(), msg) {
		t.Errorf("%s: error %v, want %s containing %q", what, err, code, msg)
	}
}

func sleeper(name string) api.TaskSpec { return scriptTask(name, "sleep 60", 1) }

// TestSubJobScope: a running task's job-scoped token submits children of
// its job (owner the job's, priority capped at the job's), reads its job
// and the jobs below it, controls those below it, and reaches nothing else
// of its owner's; it stops working when the attempt ends.
func TestSubJobScope(t *testing.T) {
	srv := policyServer(t, "n1")
	ctx := context.Background()
	alice := newUser(t, srv, "alice")
	parent := submitAs(t, srv, alice, api.JobSpec{Name: "parent", Priority: api.PriorityLow, Tasks: []api.TaskSpec{sleeper("split")}})
	other := submitAs(t, srv, alice, api.JobSpec{Name: "other", Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	p, token := taskScope(t, srv, parent, "split")
	if p.Name != "alice" || p.IsAdmin() {
		t.Fatalf("scoped principal %+v, want alice as a user", p)
	}

	resp, err := srv.SubmitJob(ctx, p, api.JobSpec{Name: "child", Priority: api.PriorityNormal, Parent: 999,
		Tasks: []api.TaskSpec{scriptTask("c", "sleep 30", 1)}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(resp.Warnings, func(w string) bool { return strings.Contains(w, "priority lowered from normal to low") }) {
		t.Errorf("submit warnings %q, want the priority cap", resp.Warnings)
	}
	child, err := srv.GetJob(ctx, alice, resp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if child.Parent != parent || child.Owner != "alice" || child.Priority != api.PriorityLow {
		t.Errorf("child: parent %d, owner %s, priority %s; want %d, alice, low", child.Parent, child.Owner, child.Priority, parent)
	}
	if job, _ := srv.GetJob(ctx, alice, parent); !slices.Equal(job.Children, []int64{resp.ID}) {
		t.Errorf("parent's children %v, want [%d]", job.Children, resp.ID)
	}
	// A user's own submission cannot claim a parent.
	if own := submitAs(t, srv, alice, api.JobSpec{Name: "own", Parent: parent, Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}}); true {
		if job, _ := srv.GetJob(ctx, alice, own); job.Parent != 0 {
			t.Errorf("a user's job claimed parent %d", job.Parent)
		}
	}

	for _, id := range []int64{parent, resp.ID} {
		if _, err := srv.GetJob(ctx, p, id); err != nil {
			t.Errorf("scoped GetJob(%d): %v", id, err)
		}
		if _, err := srv.ExplainJob(ctx, p, id, ""); err != nil {
			t.Errorf("scoped ExplainJob(%d): %v", id, err)
		}
	}
	const outside = "a job-scoped token may only reach its own job"
	_, err = srv.GetJob(ctx, p, other)
	wantErr(t, "scoped GetJob(other)", err, api.CodeForbidden, outside)
	_, err = srv.GetJobSpec(ctx, p, other)
	wantErr(t, "scoped GetJobSpec(other)", err, api.CodeForbidden, outside)
	_, err = srv.TaskLog(ctx, p, other, "t", 0, 0, 100)
	wantErr(t, "scoped TaskLog(other)", err, api.CodeForbidden, outside)
	_, err = srv.Events(ctx, p, 0, other)
	wantErr(t, "scoped Events(other)", err, api.CodeForbidden, outside)
	wantErr(t, "scoped KillJob(other)", srv.KillJob(ctx, p, other), api.CodeForbidden, outside)
	// A job of the same owner outside the tree that stays in the index (held
	// by its start_at): its results are out of reach too.
	held := submitAs(t, srv, alice, api.JobSpec{Name: "held", StartAt: timePtr(time.Now().Add(time.Hour)), Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	_, err = srv.JobResults(ctx, p, held)
	wantErr(t, "scoped JobResults(held)", err, api.CodeForbidden, outside)
	_, err = srv.TaskResult(ctx, p, held, "t")
	wantErr(t, "scoped TaskResult(held)", err, api.CodeForbidden, outside)
	_, err = srv.PauseJob(ctx, p, parent)
	wantErr(t, "scoped PauseJob(own job)", err, api.CodeForbidden, "may only kill its own job")
	_, err = srv.SetJobPriority(ctx, p, parent, api.PriorityIdle)
	wantErr(t, "scoped SetJobPriority(own job)", err, api.CodeForbidden, "may only kill its own job")
	if _, err := srv.PauseJob(ctx, p, resp.ID); err != nil {
		t.Errorf("scoped PauseJob(child): %v", err)
	}
	_, err = srv.SetJobPriority(ctx, p, resp.ID, api.PriorityNormal)
	wantErr(t, "scoped SetJobPriority(child) above its job's", err, api.CodeInvalid, "above its own job's priority (low)")
	if _, err := srv.SetJobPriority(ctx, p, resp.ID, api.PriorityIdle); err != nil {
		t.Errorf("scoped SetJobPriority(child, idle): %v", err)
	}
	_, err = srv.SubmitJob(ctx, p, api.JobSpec{Name: "after-other", DependsOnJobs: []int64{other}, Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	wantErr(t, "scoped submit after a job outside its tree", err, api.CodeInvalid, "depends_on_jobs[0]")

	list, err := srv.ListJobs(ctx, p, rest.JobQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var listed []int64
	for _, j := range list.Jobs {
		listed = append(listed, j.ID)
	}
	if !slices.Equal(listed, []int64{resp.ID, parent}) || list.Total != 2 {
		t.Errorf("scoped listing %v (total %d), want [%d %d]", listed, list.Total, resp.ID, parent)
	}
	if list, _ := srv.ListJobs(ctx, alice, rest.JobQuery{Parent: parent}); len(list.Jobs) != 1 || list.Jobs[0].ID != resp.ID || list.Jobs[0].Parent != parent {
		t.Errorf("ListJobs(parent %d) = %+v, want the child only", parent, list.Jobs)
	}

	// The task gives up on its whole job: a scoped caller may kill its own
	// job, which kills its child too and ends the attempt, so the token is
	// refused from then on.
	if err := srv.KillJob(ctx, p, parent); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{parent, resp.ID} {
		if job, _ := srv.GetJob(ctx, alice, id); job.State != api.JobKilled {
			t.Errorf("job %d after the scoped kill: %s, want KILLED", id, job.State)
		}
	}
	_, err = srv.Authenticate(ctx, token)
	wantErr(t, "token after the attempt", err, api.CodeUnauthorized, "attempt is over")
}

// TestKillSubJobTree: a tree three levels deep under a job, each level
// submitted by a task of the level above with its token; killing the top
// job kills all of it in one change, with the reason; the depth limit
// refuses a fourth level.
func TestKillSubJobTree(t *testing.T) {
	cfg := TestConfig(t.TempDir())
	cfg.MaxSubJobDepth = 3
	srv, _ := runServer(t, cfg)
	startNodeWith(t, srv, "n1", func(c *node.Config) { c.Slots, c.CPUs = 8, 8 })
	waitReady(t, srv, "n1")
	ctx := context.Background()
	alice := newUser(t, srv, "alice")
	ids := []int64{submitAs(t, srv, alice, api.JobSpec{Name: "level0", Tasks: []api.TaskSpec{sleeper("work")}})}
	for level := 1; level <= 3; level++ {
		p, _ := taskScope(t, srv, ids[level-1], "work")
		ids = append(ids, submitAs(t, srv, p, api.JobSpec{Name: fmt.Sprintf("level%d", level),
			Tasks: []api.TaskSpec{sleeper("work"), sleeper("queued")}}))
	}
	p, _ := taskScope(t, srv, ids[3], "work")
	_, err := srv.SubmitJob(ctx, p, api.JobSpec{Name: "level4", Tasks: []api.TaskSpec{sleeper("work")}})
	wantErr(t, "a fourth level", err, api.CodeForbidden, "max_sub_job_depth")

	if err := srv.KillJob(ctx, alice, ids[0]); err != nil {
		t.Fatal(err)
	}
	for level, id := range ids {
		job, err := srv.GetJob(ctx, alice, id)
		if err != nil {
			t.Fatal(err)
		}
		if job.State != api.JobKilled {
			t.Errorf("level %d (job %d) is %s right after the kill, want KILLED", level, id, job.State)
		}
		want := "killed by alice"
		switch {
		case level == 1:
			want = fmt.Sprintf("parent job %d was killed", ids[0])
		case level > 1:
			want = fmt.Sprintf("ancestor job %d was killed", ids[0])
		}
		for _, task := range job.Tasks {
			if task.State != api.TaskKilled || task.Error != want {
				t.Errorf("level %d task %s: %s %q, want KILLED %q", level, task.Name, task.State, task.Error, want)
			}
		}
	}
	// Every process stops: the node has nothing left.
	waitUntil(t, 30*time.Second, "the node empty", func() bool {
		n, err := srv.GetNode(ctx, rest.Principal{Name: "admin", Role: api.RoleAdmin}, "n1")
		return err == nil && n.State == api.NodeFree
	})
}

// TestDependsOnJobs: a job waits for the jobs it depends on to FINISH
// (with the reason in its view), runs after them, and ends FAILED or
// KILLED with its tasks skipped when one ends otherwise, down a chain.
func TestDependsOnJobs(t *testing.T) {
	srv := policyServer(t, "n1")
	ctx := context.Background()
	alice := newUser(t, srv, "alice")
	bob := newUser(t, srv, "bob")

	first := submitAs(t, srv, alice, api.JobSpec{Name: "first", Tasks: []api.TaskSpec{scriptTask("t", "sleep 1", 1)}})
	then := submitAs(t, srv, alice, api.JobSpec{Name: "then", DependsOnJobs: []int64{first}, Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	job, err := srv.GetJob(ctx, alice, then)
	if err != nil {
		t.Fatal(err)
	}
	if job.State != api.JobPending || len(job.Tasks[0].WaitingReasons) == 0 ||
		!strings.HasPrefix(job.Tasks[0].WaitingReasons[0].Message, fmt.Sprintf("waiting for job %d (", first)) {
		t.Errorf("held job: %s, reasons %+v; want PENDING waiting for job %d", job.State, job.Tasks[0].WaitingReasons, first)
	}
	ex, err := srv.ExplainJob(ctx, alice, then, "")
	if err != nil || len(ex.Tasks) != 1 || len(ex.Tasks[0].Reasons) == 0 || !strings.Contains(ex.Tasks[0].Reasons[0].Message, fmt.Sprintf("waiting for job %d", first)) {
		t.Errorf("explain of the held job: %+v, %v", ex, err)
	}
	firstJob, thenJob := waitJobDone(t, srv, alice, first), waitJobDone(t, srv, alice, then)
	if firstJob.State != api.JobFinished || thenJob.State != api.JobFinished {
		t.Fatalf("first %s, then %s; want both FINISHED", firstJob.State, thenJob.State)
	}
	if !thenJob.Tasks[0].StartedAt.After(*firstJob.FinishedAt) && !thenJob.Tasks[0].StartedAt.Equal(*firstJob.FinishedAt) {
		t.Errorf("the dependent job started at %v, before the job it depends on ended (%v)", thenJob.Tasks[0].StartedAt, firstJob.FinishedAt)
	}

	// A failure goes down a chain; a kill too, as KILLED.
	bad := submitAs(t, srv, alice, api.JobSpec{Name: "bad", Tasks: []api.TaskSpec{scriptTask("t", "sleep 1; exit 3", 1)}})
	next := submitAs(t, srv, alice, api.JobSpec{Name: "next", DependsOnJobs: []int64{bad}, Tasks: []api.TaskSpec{scriptTask("a", "true", 1), scriptTask("b", "true", 1)}})
	last := submitAs(t, srv, alice, api.JobSpec{Name: "last", DependsOnJobs: []int64{next, first}, Tasks: []api.TaskSpec{scriptTask("a", "true", 1)}})
	for _, id := range []int64{next, last} {
		job := waitJobDone(t, srv, alice, id)
		dep := bad
		if id == last {
			dep = next
		}
		why := fmt.Sprintf("skipped: job %d it depends on ended FAILED", dep)
		if job.State != api.JobFailed {
			t.Errorf("job %s: %s, want FAILED", job.Name, job.State)
		}
		for _, task := range job.Tasks {
			if task.State != api.TaskSkipped || task.Error != why || task.Attempt != 0 {
				t.Errorf("job %s task %s: %s %q (attempt %d), want SKIPPED %q, never run", job.Name, task.Name, task.State, task.Error, task.Attempt, why)
			}
		}
	}
	held := submitAs(t, srv, alice, api.JobSpec{Name: "held", StartAt: timePtr(time.Now().Add(time.Hour)), Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	waiting := submitAs(t, srv, alice, api.JobSpec{Name: "waiting", DependsOnJobs: []int64{held}, Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	if err := srv.KillJob(ctx, alice, held); err != nil {
		t.Fatal(err)
	}
	if job := waitJobDone(t, srv, alice, waiting); job.State != api.JobKilled || job.Tasks[0].State != api.TaskSkipped {
		t.Errorf("job waiting for a killed one: %s, task %s; want KILLED, SKIPPED", job.State, job.Tasks[0].State)
	}
	// A job that is already over counts at once.
	if job := waitJobDone(t, srv, alice, submitAs(t, srv, alice, api.JobSpec{Name: "late", DependsOnJobs: []int64{bad},
		Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})); job.State != api.JobFailed {
		t.Errorf("job depending on a FAILED one: %s, want FAILED", job.State)
	}

	// Bad references: unknown, someone else's, twice.
	for _, c := range []struct {
		deps  []int64
		field string
		msg   string
	}{
		{[]int64{9999}, "depends_on_jobs[0]", "job 9999 not found"},
		{[]int64{first, first}, "depends_on_jobs[1]", "listed twice"},
	} {
		_, err := srv.SubmitJob(ctx, alice, api.JobSpec{Name: "x", DependsOnJobs: c.deps, Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
		wantErr(t, fmt.Sprintf("depends_on_jobs %v", c.deps), err, api.CodeInvalid, c.msg)
		var ae *api.Error
		if errors.As(err, &ae) && (len(ae.Errors) != 1 || ae.Errors[0].Field != c.field) {
			t.Errorf("depends_on_jobs %v: field errors %+v, want %s", c.deps, ae.Errors, c.field)
		}
	}
	_, err = srv.SubmitJob(ctx, bob, api.JobSpec{Name: "x", DependsOnJobs: []int64{first}, Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	wantErr(t, "bob after alice's job", err, api.CodeInvalid, fmt.Sprintf("job %d not found", first))
}

// TestStartAt: no task of a job starts before its start_at (the reason
// says when); one in the past starts at once.
func TestStartAt(t *testing.T) {
	srv := policyServer(t, "n1")
	ctx := context.Background()
	alice := newUser(t, srv, "alice")
	at := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second).Add(time.Second)
	id := submitAs(t, srv, alice, api.JobSpec{Name: "later", StartAt: &at, Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	job, err := srv.GetJob(ctx, alice, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := "starts at " + at.Format(time.RFC3339); job.State != api.JobPending || len(job.Tasks[0].WaitingReasons) != 1 || job.Tasks[0].WaitingReasons[0].Message != want {
		t.Errorf("delayed job: %s, reasons %+v; want PENDING %q", job.State, job.Tasks[0].WaitingReasons, want)
	}
	if job.StartAt == nil || !job.StartAt.Equal(at) {
		t.Errorf("view start_at %v, want %v", job.StartAt, at)
	}
	job = waitJobDone(t, srv, alice, id)
	if job.State != api.JobFinished || job.Tasks[0].StartedAt.Before(at) {
		t.Errorf("delayed job %s, started %v; want FINISHED, started at or after %v", job.State, job.Tasks[0].StartedAt, at)
	}
	past := time.Now().Add(-time.Hour)
	if job := waitJobDone(t, srv, alice, submitAs(t, srv, alice, api.JobSpec{Name: "past", StartAt: &past,
		Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})); job.State != api.JobFinished {
		t.Errorf("job with start_at in the past: %s, want FINISHED", job.State)
	}
}

// TestJobHoldsSurviveRestart: after a restart, a job still waits for the
// job it depends on and for its start_at, the sub-job tree is rebuilt,
// and killing the parent still kills its child and ends its dependent.
func TestJobHoldsSurviveRestart(t *testing.T) {
	cfg := TestConfig(t.TempDir())
	srv, stop := runServer(t, cfg)
	ctx := context.Background()
	alice := newUser(t, srv, "alice")
	// No node: nothing runs. The child is adopted through a scope as a
	// running task's token would make it.
	first := submitAs(t, srv, alice, api.JobSpec{Name: "first", Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	scoped := alice
	scoped.Scope = &rest.TaskScope{JobID: first, Task: "t"}
	child := submitAs(t, srv, scoped, api.JobSpec{Name: "child", Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	after := submitAs(t, srv, alice, api.JobSpec{Name: "after", DependsOnJobs: []int64{first}, Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	later := submitAs(t, srv, alice, api.JobSpec{Name: "later", StartAt: &at, Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	stop()

	srv, _ = runServer(t, cfg) // still no node
	reason := func(id int64) string {
		job, err := srv.GetJob(ctx, alice, id)
		if err != nil || len(job.Tasks[0].WaitingReasons) == 0 {
			return fmt.Sprintf("%v %+v", err, job.Tasks)
		}
		return job.Tasks[0].WaitingReasons[0].Message
	}
	if got, want := reason(after), fmt.Sprintf("waiting for job %d (PENDING)", first); got != want {
		t.Errorf("after the restart, the dependent job waits with %q, want %q", got, want)
	}
	if got, want := reason(later), "starts at "+at.Format(time.RFC3339); got != want {
		t.Errorf("after the restart, the delayed job waits with %q, want %q", got, want)
	}
	if job, _ := srv.GetJob(ctx, alice, first); !slices.Equal(job.Children, []int64{child}) {
		t.Errorf("after the restart, job %d's children are %v, want [%d]", first, job.Children, child)
	}
	if err := srv.KillJob(ctx, alice, first); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]api.JobState{child: api.JobKilled, after: api.JobKilled} {
		if job := waitJobDone(t, srv, alice, id); job.State != want {
			t.Errorf("job %s after its parent or dependency was killed: %s, want %s", job.Name, job.State, want)
		}
	}
	if job, _ := srv.GetJob(ctx, alice, later); job.State != api.JobPending || job.Tasks[0].Attempt != 0 {
		t.Errorf("delayed job after the restart: %s, attempt %d; want PENDING, not started", job.State, job.Tasks[0].Attempt)
	}
}

// TestSuspendTask: a task that fails for good under suspend_task is
// IN_ERROR: its dependent waits, the job stays RUNNING; restarting it
// (fresh budget) lets the job finish; killing one ends the job KILLED.
func TestSuspendTask(t *testing.T) {
	srv := policyServer(t, "n1")
	ctx := context.Background()
	alice := newUser(t, srv, "alice")
	marker := filepath.Join(t.TempDir(), "fixed")
	flaky := scriptTask("flaky", fmt.Sprintf("test -f %s", marker), 2)
	flaky.OnTaskError = api.OnErrorSuspendTask
	spec := api.JobSpec{Name: "j", Tasks: []api.TaskSpec{flaky, commandTask("then", []string{"true"}, "flaky")}}
	id := submitAs(t, srv, alice, spec)
	inError := func(id int64) api.Job {
		var job api.Job
		waitUntil(t, 30*time.Second, "task IN_ERROR", func() bool {
			job, _ = srv.GetJob(ctx, alice, id)
			return len(job.Tasks) == 2 && job.Tasks[0].State == api.TaskInError
		})
		return job
	}
	job := inError(id)
	if job.State != api.JobRunning || job.Tasks[1].State != api.TaskPending || job.Tasks[0].Attempt != 2 ||
		!strings.Contains(job.Tasks[0].Error, "suspend_task") {
		t.Fatalf("suspended job: %s, tasks %+v; want RUNNING, flaky IN_ERROR after 2 attempts, then PENDING", job.State, job.Tasks)
	}
	// Its last attempt is over: a log follower stops.
	waitUntil(t, 20*time.Second, "the IN_ERROR task's log done", func() bool {
		page, err := srv.TaskLog(ctx, alice, id, "flaky", 0, 0, 1<<20)
		return err == nil && page.Done && page.Attempt == 2
	})
	ex, err := srv.ExplainJob(ctx, alice, id, "")
	if err != nil || !slices.ContainsFunc(ex.Tasks, func(te api.TaskExplain) bool { return te.State == api.TaskInError }) {
		t.Errorf("explain of a suspended job: %+v, %v; want the IN_ERROR task", ex, err)
	}
	stats, _ := srv.SchedulerStats(ctx, alice, "")
	if stats.Jobs[api.JobRunning] != 1 {
		t.Errorf("scheduler stats %+v, want the suspended job RUNNING", stats.Jobs)
	}
	// Still IN_ERROR a while later: nothing ends it on its own.
	time.Sleep(500 * time.Millisecond)
	if job, _ := srv.GetJob(ctx, alice, id); job.State != api.JobRunning || job.Tasks[0].State != api.TaskInError {
		t.Fatalf("suspended job later: %s, flaky %s", job.State, job.Tasks[0].State)
	}
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ControlTask(ctx, alice, id, "flaky", api.TaskRestart, "fixed"); err != nil {
		t.Fatal(err)
	}
	if job := waitJobDone(t, srv, alice, id); job.State != api.JobFinished || job.Tasks[1].State != api.TaskFinished {
		t.Errorf("restarted job: %s, tasks %+v; want FINISHED", job.State, job.Tasks)
	}

	// restart-failed restarts IN_ERROR tasks too; kill ends one.
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	id = submitAs(t, srv, alice, spec)
	inError(id)
	if _, err := srv.RestartFailed(ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	if job := inError(id); job.Tasks[0].Attempt != 4 {
		t.Errorf("after restart-failed, flaky IN_ERROR at attempt %d, want 4 (a fresh budget of 2)", job.Tasks[0].Attempt)
	}
	if _, err := srv.ControlTask(ctx, alice, id, "flaky", api.TaskKill, ""); err != nil {
		t.Fatal(err)
	}
	if job := waitJobDone(t, srv, alice, id); job.State != api.JobKilled || job.Tasks[1].State != api.TaskSkipped {
		t.Errorf("job after killing its IN_ERROR task: %s, tasks %+v; want KILLED, then SKIPPED", job.State, job.Tasks)
	}
	id = submitAs(t, srv, alice, spec)
	inError(id)
	if err := srv.KillJob(ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	if job, _ := srv.GetJob(ctx, alice, id); job.State != api.JobKilled || job.Tasks[0].State != api.TaskKilled {
		t.Errorf("killed suspended job: %s, tasks %+v; want KILLED", job.State, job.Tasks)
	}
}

// TestJobWaitersForgotten: a waiting job that ends first is dropped from
// the waiters of the job it waited for.
func TestJobWaitersForgotten(t *testing.T) {
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	alice := newUser(t, srv, "alice")
	first := submitAs(t, srv, alice, api.JobSpec{Name: "first", Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	waiting := submitAs(t, srv, alice, api.JobSpec{Name: "waiting", DependsOnJobs: []int64{first}, Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}})
	if err := srv.KillJob(context.Background(), alice, waiting); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the waiting job retired", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.jobs[waiting] == nil
	})
	srv.mu.Lock()
	left := srv.jobWaiters[first]
	srv.mu.Unlock()
	if len(left) != 0 {
		t.Errorf("job %d still has waiters %v after job %d was killed", first, left, waiting)
	}
}

// TestSubJobLimits: max_sub_jobs bounds a whole tree, counted from the job
// a user submitted, whichever level submits; a parent that is over can
// no longer submit.
func TestSubJobLimits(t *testing.T) {
	cfg := TestConfig(t.TempDir())
	cfg.MaxSubJobs = 2
	srv, _ := runServer(t, cfg) // no node: the jobs stay PENDING
	ctx := context.Background()
	alice := newUser(t, srv, "alice")
	// Scopes as running tasks' tokens would give them.
	scope := func(id int64) rest.Principal {
		p := alice
		p.Scope = &rest.TaskScope{JobID: id, Task: "t"}
		return p
	}
	job := api.JobSpec{Name: "j", Tasks: []api.TaskSpec{scriptTask("t", "true", 1)}}
	root := submitAs(t, srv, alice, job)
	child := submitAs(t, srv, scope(root), job)
	submitAs(t, srv, scope(child), job)
	_, err := srv.SubmitJob(ctx, scope(root), job)
	wantErr(t, "a third job in the tree", err, api.CodeForbidden, "max_sub_jobs")
	// Another tree has its own count.
	submitAs(t, srv, scope(submitAs(t, srv, alice, job)), job)

	if err := srv.KillJob(ctx, alice, root); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the killed job retired", func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return srv.jobs[root] == nil
	})
	_, err = srv.SubmitJob(ctx, scope(root), job)
	wantErr(t, "a job over submitting", err, api.CodeConflict, "can no longer submit")
}
