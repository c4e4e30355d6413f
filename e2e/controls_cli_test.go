package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// The tests of this file drive every job, task and scheduler control
// through the real shrike binary against a real grid, and check what each
// does to the jobs, their tasks and the processes on the node.

// ctlHoldFor is how long a held task is watched to see that it does not
// start: many scheduling cycles (schedule_interval is 200ms).
const ctlHoldFor = 1500 * time.Millisecond

// ctlGate is a shell loop that waits until the file $OUT/NAME exists.
func ctlGate(name string) string {
	return fmt.Sprintf(`while [ ! -e "$OUT/%s" ]; do sleep 0.1; done`, name)
}

// ctlOpen creates the file that ctlGate(name) waits for.
func ctlOpen(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// ctlRun runs the CLI as the admin and returns stdout, stderr and the
// exit code.
func ctlRun(g *grid, args ...string) (string, string, int) {
	g.t.Helper()
	cmd := exec.Command(shrikeBin, args...)
	cmd.Env = append(os.Environ(), "HOME="+g.dir, "XDG_CONFIG_HOME="+filepath.Join(g.dir, "config"),
		"SHRIKE_ADDR="+g.url(), "SHRIKE_TOKEN="+g.token)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		g.t.Fatalf("running shrike %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// ctlMust runs the CLI as the admin and fails the test unless it exits 0.
func ctlMust(g *grid, args ...string) string {
	g.t.Helper()
	out, errOut, code := ctlRun(g, args...)
	if code != 0 {
		g.t.Fatalf("shrike %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// ctlRefused runs the CLI as the admin and fails the test unless it exits
// with want; it returns stderr.
func ctlRefused(g *grid, want int, args ...string) string {
	g.t.Helper()
	out, errOut, code := ctlRun(g, args...)
	if code != want {
		g.t.Errorf("shrike %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out, errOut)
	}
	return errOut
}

// ctlShow is `shrike job show ID --json`.
func ctlShow(g *grid, id int64) api.Job {
	g.t.Helper()
	out := ctlMust(g, "job", "show", fmt.Sprint(id), "--json")
	var job api.Job
	if err := json.Unmarshal([]byte(out), &job); err != nil {
		g.t.Fatalf("job show --json: %v\n%s", err, out)
	}
	return job
}

// ctlSubmit submits a job document with `shrike job submit FILE` and
// returns its id.
func ctlSubmit(g *grid, doc string) int64 {
	g.t.Helper()
	f, err := os.CreateTemp(g.dir, "job-*.yaml")
	if err != nil {
		g.t.Fatal(err)
	}
	if _, err := f.WriteString(doc); err != nil {
		g.t.Fatal(err)
	}
	f.Close()
	out := ctlMust(g, "job", "submit", f.Name())
	id, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(out), "Submitted job "), "."), 10, 64)
	if err != nil {
		g.t.Fatalf("job submit printed %q", out)
	}
	return id
}

// ctlHeld waits until the task waits with a reason that contains reason,
// then checks that it stays PENDING for ctlHoldFor.
func ctlHeld(g *grid, id int64, task, reason string) {
	g.t.Helper()
	waitFor(g.t, 15*time.Second, fmt.Sprintf("job %d task %s held: %s", id, task, reason), func() bool {
		job, err := g.client.GetJob(context.Background(), id)
		if err != nil {
			return false
		}
		for _, tk := range job.Tasks {
			if tk.Name == task && tk.State == api.TaskPending {
				for _, r := range tk.WaitingReasons {
					if strings.Contains(r.Message, reason) {
						return true
					}
				}
			}
		}
		return false
	})
	time.Sleep(ctlHoldFor)
	if tk := taskByName(g.t, ctlShow(g, id), task); tk.State != api.TaskPending || tk.StartedAt != nil {
		g.t.Fatalf("held task %s of job %d: %s (started %v), want still PENDING", task, id, tk.State, tk.StartedAt)
	}
}

// ctlTaskStates checks the states of a job's tasks.
func ctlTaskStates(t *testing.T, job api.Job, want map[string]api.TaskState) {
	t.Helper()
	for name, st := range want {
		if tk := taskByName(t, job, name); tk.State != st {
			t.Errorf("job %d task %s: %s, want %s", job.ID, name, tk.State, st)
		}
	}
}

// ctlPidGone waits until the process whose pid is in file has exited.
func ctlPidGone(t *testing.T, file string) {
	t.Helper()
	var pid int
	waitFor(t, 10*time.Second, "pid in "+file, func() bool {
		b, err := os.ReadFile(file)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	waitFor(t, 15*time.Second, fmt.Sprintf("process %d (%s) gone", pid, filepath.Base(file)), func() bool {
		return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) || isZombie(pid)
	})
}

// TestJobAndTaskControlsCLI drives the job controls (pause, resume,
// restart, priority) and the task controls (kill, restart, preempt,
// finish) through the CLI on one grid.
func TestJobAndTaskControlsCLI(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 2)
	g.waitNodes("n1")
	out := t.TempDir()
	ids := func(id int64) string { return strconv.FormatInt(id, 10) }

	// pause: the running task goes on and ends, the task that was waiting
	// for it does not start (job is paused); the job stays PAUSED; resume
	// lets it run to its end.
	t.Run("PauseResume", func(t *testing.T) {
		g.t = t
		id := ctlSubmit(g, fmt.Sprintf(`
name: pausable
variables: {OUT: %s}
tasks:
  - name: first
    script: |
      %s
      echo first-done
  - name: second
    depends_on: [first]
    script: touch "$OUT/second-ran"
`, out, ctlGate("pause-go")))
		g.waitTask(id, "first", api.TaskRunning, 15*time.Second)
		if o := ctlMust(g, "job", "pause", ids(id)); !strings.Contains(o, "PAUSED") {
			t.Errorf("job pause printed %q, want the PAUSED state", o)
		}
		if job := ctlShow(g, id); job.State != api.JobPaused {
			t.Fatalf("job after pause: %s, want PAUSED", job.State)
		}
		ctlRefused(g, 1, "job", "pause", ids(id)) // already paused
		ctlOpen(t, out, "pause-go")
		g.waitTask(id, "first", api.TaskFinished, 15*time.Second) // the running task went on
		ctlHeld(g, id, "second", "job is paused")
		if job := ctlShow(g, id); job.State != api.JobPaused {
			t.Errorf("paused job after its running task ended: %s, want PAUSED", job.State)
		}
		if o := ctlMust(g, "job", "show", ids(id)); !strings.Contains(o, "job is paused") {
			t.Errorf("job show does not say why the task waits:\n%s", o)
		}
		if _, err := os.Stat(filepath.Join(out, "second-ran")); err == nil {
			t.Fatal("a task of the paused job ran")
		}
		ctlMust(g, "job", "resume", ids(id))
		job := g.wait(id, 30*time.Second)
		if job.State != api.JobFinished {
			t.Fatalf("job after resume: %s, want FINISHED", job.State)
		}
		ctlTaskStates(t, job, map[string]api.TaskState{"first": api.TaskFinished, "second": api.TaskFinished})
		ctlRefused(g, 1, "job", "resume", ids(id)) // not paused
		ctlRefused(g, 1, "job", "pause", ids(id))  // over
	})

	// restart: the FAILED task and the one SKIPPED because of it run
	// again with fresh attempt budgets; the job that had FAILED FINISHES.
	t.Run("RestartFailed", func(t *testing.T) {
		g.t = t
		id := ctlSubmit(g, fmt.Sprintf(`
name: restartable
variables: {OUT: %s}
tasks:
  - name: fetch
    max_attempts: 2
    script: |
      echo "attempt $SHRIKE_ATTEMPT" >> "$OUT/fetch-runs"
      test -e "$OUT/fetch-fixed"
  - name: use
    depends_on: [fetch]
    command: ["true"]
  - name: fine
    command: ["true"]
`, out))
		job := g.wait(id, 30*time.Second)
		if job.State != api.JobFailed {
			t.Fatalf("job before the restart: %s, want FAILED", job.State)
		}
		ctlTaskStates(t, job, map[string]api.TaskState{"fetch": api.TaskFailed, "use": api.TaskSkipped, "fine": api.TaskFinished})
		ctlOpen(t, out, "fetch-fixed")
		ctlMust(g, "job", "restart", ids(id))
		job = g.wait(id, 30*time.Second)
		if job.State != api.JobFinished {
			t.Fatalf("job after restart: %s, want FINISHED (tasks %+v)", job.State, job.Tasks)
		}
		ctlTaskStates(t, job, map[string]api.TaskState{"fetch": api.TaskFinished, "use": api.TaskFinished, "fine": api.TaskFinished})
		if runs := readLines(t, filepath.Join(out, "fetch-runs")); len(runs) != 3 {
			t.Errorf("fetch ran %q, want twice before the restart and once after", runs)
		}
		ctlRefused(g, 1, "job", "restart", ids(id)) // nothing FAILED
	})

	// priority: of two jobs that each need the whole node, the one raised
	// to high runs first although it was submitted last at low.
	t.Run("Priority", func(t *testing.T) {
		g.t = t
		order := filepath.Join(out, "prio-order")
		blocker := ctlSubmit(g, fmt.Sprintf(`
name: blocker
variables: {OUT: %s}
tasks:
  - name: t
    resources: {cpu: 2}
    script: %q
`, out, ctlGate("prio-go")))
		g.waitTask(blocker, "t", api.TaskRunning, 15*time.Second)
		job := func(name, prio string) int64 {
			return ctlSubmit(g, fmt.Sprintf(`
name: %s
priority: %s
tasks:
  - name: t
    resources: {cpu: 2}
    script: echo %s >> %s
`, name, prio, name, order))
		}
		normal := job("normal-one", "normal")
		raised := job("raised-one", "low")
		o := ctlMust(g, "job", "priority", ids(raised), "high", "--json")
		var got api.Job
		if err := json.Unmarshal([]byte(o), &got); err != nil || got.Priority != api.PriorityHigh {
			t.Fatalf("job priority --json: %v, %s", err, o)
		}
		if j := ctlShow(g, raised); j.Priority != api.PriorityHigh || j.State != api.JobPending {
			t.Errorf("raised job: priority %s state %s, want high PENDING", j.Priority, j.State)
		}
		ctlRefused(g, 2, "job", "priority", ids(normal), "urgent") // unknown level
		ctlOpen(t, out, "prio-go")
		for _, id := range []int64{blocker, normal, raised} {
			if j := g.wait(id, 30*time.Second); j.State != api.JobFinished {
				t.Fatalf("job %d: %s", id, j.State)
			}
		}
		if lines := readLines(t, order); strings.Join(lines, ",") != "raised-one,normal-one" {
			t.Errorf("jobs ran in the order %q, want the raised one first", lines)
		}
		ctlRefused(g, 1, "job", "priority", ids(normal), "low") // over
	})

	// task kill: the running task is stopped on its node (its process
	// dies), its dependent is SKIPPED, the independent task runs on; task
	// restart then runs the killed task again and un-skips its dependent.
	t.Run("TaskKillRestart", func(t *testing.T) {
		g.t = t
		id := ctlSubmit(g, fmt.Sprintf(`
name: task-kill
variables: {OUT: %s}
tasks:
  - name: victim
    script: |
      echo $$ > "$OUT/victim-$SHRIKE_ATTEMPT.pid"
      [ "$SHRIKE_ATTEMPT" -ge 2 ] && exit 0
      sleep 300
  - name: dependent
    depends_on: [victim]
    command: ["true"]
  - name: bystander
    script: %q
`, out, ctlGate("bystander-go")))
		g.waitTask(id, "victim", api.TaskRunning, 15*time.Second)
		ctlRefused(g, 1, "job", "task", "kill", ids(id), "nosuchtask")
		ctlRefused(g, 1, "job", "task", "restart", ids(id), "victim") // RUNNING
		o := ctlMust(g, "job", "task", "kill", ids(id), "victim", "--reason", "wrong input")
		if !strings.Contains(o, "KILLED") {
			t.Errorf("task kill printed %q", o)
		}
		ctlPidGone(t, filepath.Join(out, "victim-1.pid"))
		job := ctlShow(g, id)
		ctlTaskStates(t, job, map[string]api.TaskState{"victim": api.TaskKilled, "dependent": api.TaskSkipped, "bystander": api.TaskRunning})
		if tk := taskByName(t, job, "victim"); !strings.Contains(tk.Error, "wrong input") {
			t.Errorf("killed task error %q does not carry the reason", tk.Error)
		}
		ctlOpen(t, out, "bystander-go")
		job = g.wait(id, 30*time.Second)
		ctlTaskStates(t, job, map[string]api.TaskState{"victim": api.TaskKilled, "dependent": api.TaskSkipped, "bystander": api.TaskFinished})
		if job.State == api.JobFinished {
			t.Errorf("job with a killed task: %s", job.State)
		}
		ctlMust(g, "job", "task", "restart", ids(id), "victim")
		job = g.wait(id, 30*time.Second)
		if job.State != api.JobFinished {
			t.Fatalf("job after task restart: %s, want FINISHED", job.State)
		}
		ctlTaskStates(t, job, map[string]api.TaskState{"victim": api.TaskFinished, "dependent": api.TaskFinished, "bystander": api.TaskFinished})
		ctlRefused(g, 1, "job", "task", "kill", ids(id), "victim") // job over
	})

	// task preempt: the running attempt is stopped (its process dies) and
	// the task queued again (held here by pausing the job); the attempt is
	// not counted, so a task with max_attempts 1 still runs again and
	// FINISHES.
	t.Run("TaskPreempt", func(t *testing.T) {
		g.t = t
		id := ctlSubmit(g, fmt.Sprintf(`
name: preemptible
variables: {OUT: %s}
tasks:
  - name: render
    max_attempts: 1
    script: |
      echo $$ > "$OUT/render-$SHRIKE_ATTEMPT.pid"
      echo "start $SHRIKE_ATTEMPT" >> "$OUT/render-runs"
      [ "$SHRIKE_ATTEMPT" -ge 2 ] && exit 0
      sleep 300
`, out))
		first := g.waitTask(id, "render", api.TaskRunning, 15*time.Second)
		ctlMust(g, "job", "pause", ids(id))
		ctlMust(g, "job", "task", "preempt", ids(id), "render", "--reason", "node needed")
		ctlPidGone(t, filepath.Join(out, "render-1.pid"))
		ctlHeld(g, id, "render", "job is paused") // queued again
		tk := taskByName(t, ctlShow(g, id), "render")
		if !strings.Contains(tk.Error, "node needed") {
			t.Errorf("preempted task error %q does not carry the reason", tk.Error)
		}
		ctlRefused(g, 1, "job", "task", "preempt", ids(id), "render") // not RUNNING
		ctlMust(g, "job", "resume", ids(id))
		job := g.wait(id, 30*time.Second)
		tk = taskByName(t, job, "render")
		if job.State != api.JobFinished || tk.State != api.TaskFinished || tk.Attempt <= first.Attempt {
			t.Fatalf("after preempt: job %s, task %s attempt %d (first %d); want FINISHED on a later attempt",
				job.State, tk.State, tk.Attempt, first.Attempt)
		}
		if runs := readLines(t, filepath.Join(out, "render-runs")); strings.Join(runs, "|") != "start 1|start 2" {
			t.Errorf("render runs %q, want attempts 1 and 2", runs)
		}
	})

	// task finish: a PENDING task marked FINISHED lets its dependent run
	// while the task it waited for still runs; a RUNNING task cannot be
	// marked; a FAILED task marked FINISHED makes its SKIPPED dependent
	// run and the FAILED job FINISH.
	t.Run("TaskFinish", func(t *testing.T) {
		g.t = t
		id := ctlSubmit(g, fmt.Sprintf(`
name: finishable
variables: {OUT: %s}
tasks:
  - name: slow
    script: %q
  - name: mid
    depends_on: [slow]
    script: touch "$OUT/mid-ran"
  - name: last
    depends_on: [mid]
    command: ["true"]
`, out, ctlGate("finish-go")))
		g.waitTask(id, "slow", api.TaskRunning, 15*time.Second)
		ctlRefused(g, 1, "job", "task", "finish", ids(id), "slow") // RUNNING
		if o := ctlMust(g, "job", "task", "finish", ids(id), "mid"); !strings.Contains(o, "FINISHED") {
			t.Errorf("task finish printed %q", o)
		}
		g.waitTask(id, "last", api.TaskFinished, 15*time.Second)
		ctlTaskStates(t, ctlShow(g, id), map[string]api.TaskState{"slow": api.TaskRunning, "mid": api.TaskFinished})
		ctlOpen(t, out, "finish-go")
		if job := g.wait(id, 30*time.Second); job.State != api.JobFinished {
			t.Fatalf("job: %s, want FINISHED", job.State)
		}
		if _, err := os.Stat(filepath.Join(out, "mid-ran")); err == nil {
			t.Error("the task marked FINISHED ran")
		}

		failed := ctlSubmit(g, `
name: finish-failed
tasks:
  - name: fetch
    command: ["false"]
  - name: use
    depends_on: [fetch]
    command: ["true"]
`)
		if job := g.wait(failed, 30*time.Second); job.State != api.JobFailed {
			t.Fatalf("job: %s, want FAILED", job.State)
		}
		ctlMust(g, "job", "task", "finish", ids(failed), "fetch")
		job := g.wait(failed, 30*time.Second)
		if job.State != api.JobFinished {
			t.Fatalf("job after finishing its failed task: %s, want FINISHED", job.State)
		}
		ctlTaskStates(t, job, map[string]api.TaskState{"fetch": api.TaskFinished, "use": api.TaskFinished})
		if tk := taskByName(t, job, "use"); tk.StartedAt == nil {
			t.Error("the dependent of the finished task did not run")
		}
	})
	g.t = t
}

// TestSchedulerControlsCLI drives `shrike admin scheduler`: freeze starts
// no task while running ones go on; pause holds jobs that have not
// started while a running job goes on placing its tasks; resume runs
// them; stats counts them; stop refuses submissions, lets queued work
// finish and survives a server restart (as does a job's pause); kill
// kills every job and stops;
// start accepts jobs again; a user may not change the state.
func TestSchedulerControlsCLI(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 2)
	g.waitNodes("n1")
	out := t.TempDir()
	ids := func(id int64) string { return strconv.FormatInt(id, 10) }
	state := func() api.SchedulerStatus {
		t.Helper()
		o := ctlMust(g, "admin", "scheduler", "--json")
		var st api.SchedulerStatus
		if err := json.Unmarshal([]byte(o), &st); err != nil {
			t.Fatalf("admin scheduler --json: %v\n%s", err, o)
		}
		return st
	}
	stats := func() api.SchedulerStats {
		t.Helper()
		o := ctlMust(g, "admin", "scheduler", "stats", "--json")
		var st api.SchedulerStats
		if err := json.Unmarshal([]byte(o), &st); err != nil {
			t.Fatalf("admin scheduler stats --json: %v\n%s", err, o)
		}
		return st
	}
	set := func(verb string, want api.SchedulerState) {
		t.Helper()
		if o := ctlMust(g, "admin", "scheduler", verb); !strings.Contains(o, "scheduler: "+string(want)) || !strings.Contains(o, "by admin") {
			t.Errorf("admin scheduler %s printed %q, want %s by admin", verb, o, want)
		}
		if st := state(); st.State != want || st.By != "admin" {
			t.Fatalf("after admin scheduler %s: %+v, want %s by admin", verb, st, want)
		}
	}
	gated := func(name, gate string) string {
		return fmt.Sprintf("name: %s\nvariables: {OUT: %s}\ntasks:\n  - name: a\n    resources: {cpu: 2}\n    script: %q\n  - name: b\n    depends_on: [a]\n    command: [\"true\"]\n", name, out, ctlGate(gate))
	}
	quick := "name: quick\ntasks:\n  - name: t\n    command: [\"true\"]\n"

	if st := state(); st.State != api.SchedulerStarted {
		t.Fatalf("initial scheduler state %+v, want STARTED", st)
	}
	ctlRefused(g, 2, "admin", "scheduler", "nap")

	// A user may look but not change the state.
	ctx := context.Background()
	if _, err := g.client.CreateUser(ctx, api.CreateUserRequest{Name: "carol", Password: "carol-secret-1", Role: api.RoleUser}); err != nil {
		t.Fatal(err)
	}
	login, err := api.NewClient(g.url(), "").Login(ctx, "carol", "carol-secret-1")
	if err != nil {
		t.Fatal(err)
	}
	if o, code := g.cliEnv([]string{"SHRIKE_ADDR=" + g.url(), "SHRIKE_TOKEN=" + login.Token}, "admin", "scheduler", "freeze"); code != 1 {
		t.Errorf("a user freezing the scheduler: exit %d, %s; want 1", code, o)
	}
	if st := state(); st.State != api.SchedulerStarted {
		t.Fatalf("after a user's freeze: %s", st.State)
	}

	// freeze: the running task (it fills the node) goes on to its end, no task starts (neither
	// its job's next one nor a new job's).
	running := ctlSubmit(g, gated("running", "freeze-go"))
	g.waitTask(running, "a", api.TaskRunning, 15*time.Second)
	if st := stats(); st.State != api.SchedulerStarted || st.TasksRunning != 1 || st.Jobs[api.JobRunning] != 1 || st.NodesBusy != 1 || st.NodesFree != 0 {
		t.Errorf("stats with one running task: %+v", st)
	}
	set("freeze", api.SchedulerFrozen)
	fresh := ctlSubmit(g, quick) // accepted, not started
	ctlOpen(t, out, "freeze-go")
	g.waitTask(running, "a", api.TaskFinished, 15*time.Second)
	ctlHeld(g, running, "b", "scheduler is frozen")
	ctlHeld(g, fresh, "t", "scheduler is frozen")
	if o := ctlMust(g, "job", "show", ids(fresh)); !strings.Contains(o, "scheduler is frozen") {
		t.Errorf("job show does not say why the task waits:\n%s", o)
	}
	if st := stats(); st.State != api.SchedulerFrozen || st.TasksPending != 2 || st.TasksRunning != 0 {
		t.Errorf("stats while frozen with two held tasks: %+v", st)
	}
	o := ctlMust(g, "admin", "scheduler", "stats")
	if !strings.Contains(o, "scheduler: FROZEN") || !strings.Contains(o, "nodes: 1 free, 0 busy") {
		t.Errorf("admin scheduler stats:\n%s", o)
	}

	// pause: the job that has started goes on placing its tasks; the one
	// that has not waits.
	set("pause", api.SchedulerPaused)
	if j := g.wait(running, 30*time.Second); j.State != api.JobFinished {
		t.Errorf("running job under a paused scheduler: %s, want FINISHED", j.State)
	}
	ctlHeld(g, fresh, "t", "scheduler is paused")

	// resume: the held job runs.
	set("resume", api.SchedulerStarted)
	if j := g.wait(fresh, 30*time.Second); j.State != api.JobFinished {
		t.Errorf("held job after resume: %s, want FINISHED", j.State)
	}

	// stop: submissions are refused; the job queued before runs to its end;
	// the state survives a server restart, and so does a job's pause.
	queued := ctlSubmit(g, gated("queued", "stop-go"))
	g.waitTask(queued, "a", api.TaskRunning, 15*time.Second)
	set("stop", api.SchedulerStopped)
	quickFile := filepath.Join(out, "quick.yaml")
	if err := os.WriteFile(quickFile, []byte(quick), 0o600); err != nil {
		t.Fatal(err)
	}
	if e := ctlRefused(g, 1, "job", "submit", quickFile); !strings.Contains(e, "stopped") {
		t.Errorf("submission while stopped: stderr %q does not say the scheduler is stopped", e)
	}
	ctlMust(g, "job", "pause", ids(queued))
	ctlOpen(t, out, "stop-go")
	g.waitTask(queued, "a", api.TaskFinished, 15*time.Second)
	ctlHeld(g, queued, "b", "job is paused")
	before := state()
	g.killServer()
	g.startServer()
	if st := state(); st.State != api.SchedulerStopped || st.By != "admin" || !st.Since.Equal(before.Since) {
		t.Errorf("scheduler after a server restart: %+v, want %+v", st, before)
	}
	if e := ctlRefused(g, 1, "job", "submit", quickFile); !strings.Contains(e, "stopped") {
		t.Errorf("submission while stopped after a restart: stderr %q", e)
	}
	g.waitNodes("n1")
	if j := ctlShow(g, queued); j.State != api.JobPaused {
		t.Errorf("paused job after a server restart: %s, want PAUSED", j.State)
	}
	ctlHeld(g, queued, "b", "job is paused")
	ctlMust(g, "job", "resume", ids(queued))
	if j := g.wait(queued, 30*time.Second); j.State != api.JobFinished {
		t.Errorf("job queued before stop, resumed: %s, want FINISHED", j.State)
	}

	// start: jobs are accepted and run again.
	set("start", api.SchedulerStarted)
	if j := g.wait(ctlSubmit(g, quick), 30*time.Second); j.State != api.JobFinished {
		t.Errorf("job after start: %s, want FINISHED", j.State)
	}

	// kill: every job that is not over is killed (the running task's
	// process too), and the scheduler is left STOPPED.
	victim := ctlSubmit(g, fmt.Sprintf("name: victim\nvariables: {OUT: %s}\ntasks:\n  - name: t\n    script: |\n      echo $$ > \"$OUT/sched-victim.pid\"\n      sleep 300\n", out))
	g.waitTask(victim, "t", api.TaskRunning, 15*time.Second)
	waiting := ctlSubmit(g, "name: waiting\ntasks:\n  - name: t\n    resources: {cpu: 2}\n    command: [\"true\"]\n")
	if o := ctlMust(g, "admin", "scheduler", "kill"); !strings.Contains(o, "scheduler: STOPPED") || !strings.Contains(o, "killed 2 jobs") {
		t.Errorf("admin scheduler kill printed %q, want STOPPED and 2 jobs killed", o)
	}
	for _, id := range []int64{victim, waiting} {
		if j := g.wait(id, 30*time.Second); j.State != api.JobKilled {
			t.Errorf("job %d after scheduler kill: %s, want KILLED", id, j.State)
		}
	}
	ctlPidGone(t, filepath.Join(out, "sched-victim.pid"))
	if st := state(); st.State != api.SchedulerStopped {
		t.Errorf("after kill: %s, want STOPPED", st.State)
	}
	if st := stats(); st.Jobs[api.JobPending]+st.Jobs[api.JobRunning] != 0 || st.TasksRunning != 0 || st.TasksPending != 0 {
		t.Errorf("stats after kill: %+v", st)
	}
	set("start", api.SchedulerStarted)
}
