package server

import (
	"context"
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

// arrayTask is a script task replicated per r.
func arrayTask(name, script string, r *api.Replicate, deps ...string) api.TaskSpec {
	return api.TaskSpec{Name: name, Script: script, DependsOn: deps, Resources: api.Resources{CPU: 1}, MaxAttempts: 1, Replicate: r}
}

// tasksNamed returns the job's tasks whose name is name or name[i], in
// order.
func tasksNamed(job api.Job, name string) []api.Task {
	var out []api.Task
	for _, t := range job.Tasks {
		if t.Name == name || strings.HasPrefix(t.Name, name+"[") {
			out = append(out, t)
		}
	}
	return out
}

// lastFinish is the latest finish time of tasks.
func lastFinish(t *testing.T, tasks []api.Task) time.Time {
	t.Helper()
	var last time.Time
	for _, tk := range tasks {
		if tk.FinishedAt == nil {
			t.Fatalf("task %s has no finish time", tk.Name)
		}
		if tk.FinishedAt.After(last) {
			last = *tk.FinishedAt
		}
	}
	return last
}

// TestArrayRunsEveryInstance: an array of 20 instances, behind a plain
// task, runs each instance once with its SHRIKE_REPLICA and
// SHRIKE_REPLICA_INDEX; a task and an array that depend on it start only
// after every instance finished, and the second array's instances each
// see all 20 outputs.
func TestArrayRunsEveryInstance(t *testing.T) {
	g := startTestGrid(t, 2, 4)
	ctx := context.Background()
	dir := t.TempDir()
	spec := api.JobSpec{Name: "array", Tasks: []api.TaskSpec{
		arrayTask("pre", "touch "+dir+"/pre", nil),
		arrayTask("sq", `test -e `+dir+`/pre || exit 9
echo "$SHRIKE_REPLICA" > `+dir+`/out.$SHRIKE_REPLICA_INDEX`, &api.Replicate{Count: 20, From: 1, Step: 1}, "pre"),
		arrayTask("gather", `test "$(ls `+dir+` | grep -c '^out\.')" = 20 || exit 7
cat `+dir+`/out.* | awk '{s += $1} END {print s}' > `+dir+`/sum`, nil, "sq"),
		arrayTask("post", `test "$(ls `+dir+` | grep -c '^out\.')" = 20 || exit 8
echo "$SHRIKE_REPLICA" > `+dir+`/post.$SHRIKE_REPLICA_INDEX`, &api.Replicate{Count: 3, Values: []string{"x", "y z", "w"}}, "sq"),
	}}
	resp, err := g.srv.SubmitJob(ctx, g.admin, spec)
	if err != nil {
		t.Fatal(err)
	}
	job := g.waitJob(t, resp.ID)
	if job.State != api.JobFinished {
		t.Fatalf("job = %s, want FINISHED; tasks %+v", job.State, job.Tasks)
	}
	if len(job.Tasks) != 1+20+1+3 {
		t.Fatalf("job has %d tasks, want 25", len(job.Tasks))
	}
	sq := tasksNamed(job, "sq")
	for i, tk := range sq {
		if want := fmt.Sprintf("sq[%d]", i); tk.Name != want || tk.Replica != fmt.Sprint(i+1) || tk.Attempt != 1 {
			t.Errorf("instance %d = %s replica %q attempt %d; want %s replica %d attempt 1", i, tk.Name, tk.Replica, tk.Attempt, want, i+1)
		}
		if !slices.Equal(tk.DependsOn, []string{"pre"}) {
			t.Errorf("%s depends on %v, want [pre]", tk.Name, tk.DependsOn)
		}
		out, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("out.%d", i)))
		if err != nil || strings.TrimSpace(string(out)) != fmt.Sprint(i+1) {
			t.Errorf("out.%d = %q, %v; want %d", i, out, err, i+1)
		}
	}
	sum, err := os.ReadFile(filepath.Join(dir, "sum"))
	if err != nil || strings.TrimSpace(string(sum)) != "210" {
		t.Errorf("sum = %q, %v; want 210 (1+...+20)", sum, err)
	}
	done := lastFinish(t, sq)
	for _, tk := range append(tasksNamed(job, "gather"), tasksNamed(job, "post")...) {
		if tk.StartedAt == nil || tk.StartedAt.Before(done) {
			t.Errorf("%s started at %v, before the last instance of sq finished (%v)", tk.Name, tk.StartedAt, done)
		}
	}
	for i, v := range []string{"x", "y z", "w"} {
		out, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("post.%d", i)))
		if err != nil || strings.TrimSpace(string(out)) != v {
			t.Errorf("post.%d = %q, %v; want %q", i, out, err, v)
		}
	}
	list, err := g.srv.ListJobs(ctx, g.admin, rest.JobQuery{})
	if err != nil || len(list.Jobs) != 1 || list.Jobs[0].TaskCounts[api.TaskFinished] != 25 {
		t.Errorf("ListJobs = %+v, %v; want one job with 25 FINISHED tasks", list.Jobs, err)
	}
}

// TestArrayInstanceRetriesAndFailure: retries and failures are per
// instance: one instance fails once and is retried, one fails for good;
// only that one is FAILED, the array's dependent is SKIPPED and the job
// FAILED.
func TestArrayInstanceRetriesAndFailure(t *testing.T) {
	g := startTestGrid(t, 1, 4)
	dir := t.TempDir()
	sq := arrayTask("sq", `if [ "$SHRIKE_REPLICA_INDEX" = 1 ] && [ ! -e `+dir+`/tried ]; then touch `+dir+`/tried; exit 3; fi
[ "$SHRIKE_REPLICA" != 30 ]`, &api.Replicate{Count: 5, From: 10, Step: 10})
	sq.MaxAttempts = 2
	resp, err := g.srv.SubmitJob(context.Background(), g.admin, api.JobSpec{Name: "retry", Tasks: []api.TaskSpec{
		sq, arrayTask("after", "true", nil, "sq"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	job := g.waitJob(t, resp.ID)
	if job.State != api.JobFailed {
		t.Fatalf("job = %s, want FAILED", job.State)
	}
	want := map[string]struct {
		state   api.TaskState
		attempt int
	}{
		"sq[0]": {api.TaskFinished, 1}, "sq[1]": {api.TaskFinished, 2}, "sq[2]": {api.TaskFailed, 2},
		"sq[3]": {api.TaskFinished, 1}, "sq[4]": {api.TaskFinished, 1}, "after": {api.TaskSkipped, 0},
	}
	for _, tk := range job.Tasks {
		if w := want[tk.Name]; tk.State != w.state || tk.Attempt != w.attempt {
			t.Errorf("%s = %s attempt %d; want %s attempt %d", tk.Name, tk.State, tk.Attempt, w.state, w.attempt)
		}
	}
}

// TestArrayKill: explain lists each pending instance; killing a job kills
// its running and its pending instances, whose rows were never written
// before, and the counts say so.
func TestArrayKill(t *testing.T) {
	g := startTestGrid(t, 1, 2)
	ctx := context.Background()
	resp, err := g.srv.SubmitJob(ctx, g.admin, api.JobSpec{Name: "kill", Tasks: []api.TaskSpec{
		arrayTask("slow", "sleep 60", &api.Replicate{Count: 50, Step: 1}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "two instances running", func() bool {
		job, _ := g.srv.GetJob(ctx, g.admin, resp.ID)
		n := 0
		for _, tk := range job.Tasks {
			if tk.State == api.TaskRunning {
				n++
			}
		}
		return n == 2
	})
	ex, err := g.srv.ExplainJob(ctx, g.admin, resp.ID, "")
	if err != nil || len(ex.Tasks) != 48 {
		t.Fatalf("explain: %d tasks, %v; want the 48 pending instances", len(ex.Tasks), err)
	}
	for _, te := range ex.Tasks {
		if !strings.HasPrefix(te.Task, "slow[") || te.Eligible != 0 {
			t.Errorf("explain %s: eligible %d; want an instance of slow that no node can take now (both slots busy)", te.Task, te.Eligible)
		}
	}
	if err := g.srv.KillJob(ctx, g.admin, resp.ID); err != nil {
		t.Fatal(err)
	}
	job := g.waitJob(t, resp.ID)
	if job.State != api.JobKilled || len(job.Tasks) != 50 {
		t.Fatalf("job = %s with %d tasks, want KILLED with 50", job.State, len(job.Tasks))
	}
	for _, tk := range job.Tasks {
		if tk.State != api.TaskKilled {
			t.Errorf("%s = %s, want KILLED", tk.Name, tk.State)
		}
	}
	list, err := g.srv.ListJobs(ctx, g.admin, rest.JobQuery{})
	if err != nil || len(list.Jobs) != 1 || list.Jobs[0].TaskCounts[api.TaskKilled] != 50 || len(list.Jobs[0].TaskCounts) != 1 {
		t.Errorf("ListJobs = %+v, %v; want 50 KILLED tasks", list.Jobs, err)
	}
}

// TestArrayRecoversAfterRestart: a server stopped with an array half run
// (some instances finished, the rest never started, their rows not
// written) comes back with every instance: the finished ones stay
// finished, the others run once, and the task IDs the job holds are not
// given to the next job.
func TestArrayRecoversAfterRestart(t *testing.T) {
	cfg := TestConfig(filepath.Join(t.TempDir(), "server"))
	srv, stop := runServer(t, cfg)
	admin := rest.Principal{Name: "root", Role: api.RoleAdmin}
	ctx := context.Background()
	dir := t.TempDir()
	nodeCtx, stopNode := context.WithCancel(ctx)
	startNodeIn(t, nodeCtx, srv, "n1", 1)
	waitReady(t, srv, "n1")
	resp, err := srv.SubmitJob(ctx, admin, api.JobSpec{Name: "half", Tasks: []api.TaskSpec{
		arrayTask("a", `echo "$SHRIKE_REPLICA_INDEX" >> `+dir+`/runs; sleep 0.2`, &api.Replicate{Count: 12, Step: 1}),
		arrayTask("b", "true", nil, "a"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "3 instances finished", func() bool {
		job, _ := srv.GetJob(ctx, admin, resp.ID)
		return len(tasksInState(job, api.TaskFinished)) >= 3
	})
	if _, err := srv.PauseJob(ctx, admin, resp.ID); err != nil {
		t.Fatal(err)
	}
	var before api.Job
	waitUntil(t, 20*time.Second, "no instance running", func() bool {
		before, _ = srv.GetJob(ctx, admin, resp.ID)
		return len(tasksInState(before, api.TaskRunning)) == 0
	})
	rec, rows, err := srv.store.GetJob(ctx, resp.ID)
	if err != nil || rec.TaskCount != 13 || len(rows) >= 13 {
		t.Fatalf("stored job: %d task IDs held, %d rows, %v; want 13 held and fewer rows (pending instances unwritten)", rec.TaskCount, len(rows), err)
	}
	finished := len(tasksInState(before, api.TaskFinished))
	stopNode()
	stop()

	srv, _ = runServer(t, cfg)
	after, err := srv.GetJob(ctx, admin, resp.ID)
	if err != nil || len(after.Tasks) != 13 || len(tasksInState(after, api.TaskFinished)) != finished {
		t.Fatalf("after restart: %d tasks, %d finished, %v; want 13, %d", len(after.Tasks), len(tasksInState(after, api.TaskFinished)), err, finished)
	}
	next, err := srv.SubmitJob(ctx, admin, api.JobSpec{Name: "next", Tasks: []api.TaskSpec{commandTask("c", []string{"true"})}})
	if err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	last, first := srv.jobs[resp.ID].tasks[12].rec.ID, srv.jobs[next.ID].tasks[0].rec.ID
	srv.mu.Unlock()
	if first <= last {
		t.Errorf("the next job's task has ID %d, not above the array's last held ID %d", first, last)
	}
	startNodeIn(t, ctx, srv, "n2", 2)
	waitReady(t, srv, "n2")
	if _, err := srv.ResumeJob(ctx, admin, resp.ID); err != nil {
		t.Fatal(err)
	}
	if job := waitJobDone(t, srv, admin, resp.ID); job.State != api.JobFinished {
		t.Fatalf("job = %s, want FINISHED", job.State)
	}
	runs, err := os.ReadFile(filepath.Join(dir, "runs"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(runs))
	slices.Sort(got)
	var want []string
	for i := range 12 {
		want = append(want, fmt.Sprint(i))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("instances ran %v; want each of 0..11 once", got)
	}
}

// tasksInState returns the names of job's tasks in state st.
func tasksInState(job api.Job, st api.TaskState) []string {
	var out []string
	for _, tk := range job.Tasks {
		if tk.State == st {
			out = append(out, tk.Name)
		}
	}
	return out
}

// startNodeIn runs an in-process node agent until ctx ends.
func startNodeIn(t *testing.T, ctx context.Context, srv *Server, name string, slots int) {
	t.Helper()
	agent, err := node.New(node.Config{ServerURL: srv.NATSURL(), Token: nodeSecret(t, srv, name), Name: name,
		Slots: slots, CPUs: slots, WorkDir: filepath.Join(t.TempDir(), name), KillGrace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node %s: %v", name, err)
		}
	})
}

// TestArraySpecChecks: a spec that did not come through the parser is
// checked too, and nothing is stored.
func TestArraySpecChecks(t *testing.T) {
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	admin := rest.Principal{Name: "root", Role: api.RoleAdmin}
	ctx := context.Background()
	for _, c := range []struct {
		r     *api.Replicate
		field string
	}{
		{&api.Replicate{Count: 0, Step: 1}, "tasks[0].replicate.count"},
		{&api.Replicate{Count: api.MaxReplicas + 1, Step: 1}, "tasks[0].replicate.count"},
		{&api.Replicate{Count: 2, Values: []string{"a"}}, "tasks[0].replicate.count"},
		{&api.Replicate{Count: 2}, "tasks[0].replicate.step"},
	} {
		_, err := srv.SubmitJob(ctx, admin, api.JobSpec{Name: "bad", Tasks: []api.TaskSpec{arrayTask("a", "true", c.r)}})
		if fields := fieldsOf(err); fields[c.field] == "" {
			t.Errorf("replicate %+v: error %v; want one on %s", c.r, err, c.field)
		}
	}
	list, err := srv.ListJobs(ctx, admin, rest.JobQuery{})
	if err != nil || len(list.Jobs) != 0 {
		t.Errorf("ListJobs = %+v, %v; want nothing stored", list.Jobs, err)
	}
}

// TestArrayRestartFailedInstance: an instance that failed for good skips
// the array's dependents (through the array's barrier); restarting the
// job's failed tasks reruns that instance alone, and once it finishes the
// dependents run and the job finishes.
func TestArrayRestartFailedInstance(t *testing.T) {
	g := startTestGrid(t, 1, 4)
	ctx := context.Background()
	dir := t.TempDir()
	resp, err := g.srv.SubmitJob(ctx, g.admin, api.JobSpec{Name: "restart", Tasks: []api.TaskSpec{
		arrayTask("a", `echo "$SHRIKE_REPLICA" >> `+dir+`/runs
if [ "$SHRIKE_REPLICA" = 1 ] && [ ! -e `+dir+`/fixed ]; then touch `+dir+`/fixed; exit 4; fi`, &api.Replicate{Count: 3, Step: 1}),
		arrayTask("b", "true", &api.Replicate{Count: 2, Step: 1}, "a"),
		arrayTask("c", "true", nil, "b"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	job := g.waitJob(t, resp.ID)
	if job.State != api.JobFailed || !slices.Equal(tasksInState(job, api.TaskFailed), []string{"a[1]"}) ||
		!slices.Equal(tasksInState(job, api.TaskSkipped), []string{"b[0]", "b[1]", "c"}) {
		t.Fatalf("job = %s, failed %v, skipped %v; want FAILED, a[1] failed, b[0] b[1] c skipped",
			job.State, tasksInState(job, api.TaskFailed), tasksInState(job, api.TaskSkipped))
	}
	if _, err := g.srv.RestartFailed(ctx, g.admin, resp.ID); err != nil {
		t.Fatal(err)
	}
	job = g.waitJob(t, resp.ID)
	if job.State != api.JobFinished || len(tasksInState(job, api.TaskFinished)) != 6 {
		t.Fatalf("after restart: job = %s with %d tasks finished; want FINISHED, all 6", job.State, len(tasksInState(job, api.TaskFinished)))
	}
	runs, err := os.ReadFile(filepath.Join(dir, "runs"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(runs))
	slices.Sort(got)
	if !slices.Equal(got, []string{"0", "1", "1", "2"}) {
		t.Errorf("instances of a ran %v; want 0 and 2 once, 1 twice", got)
	}
}
