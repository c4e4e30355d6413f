package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestKillJob kills a job with a running task (that started a background
// child) and a pending one: the job and both tasks end KILLED and no
// process of the task survives.
func TestKillJob(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 2)
	g.waitNodes("n1")
	out := t.TempDir()
	id := g.submit(fmt.Sprintf(`
name: to-kill
tasks:
  - name: long
    script: |
      echo "long is running"
      sleep 300 &
      echo $! > %[1]s/child.pid
      echo $$ > %[1]s/leader.pid
      wait
  - name: after
    depends_on: [long]
    command: ["true"]
`, out))
	g.waitTask(id, "long", api.TaskRunning, 10*time.Second)
	waitFor(t, 5*time.Second, "pid files", func() bool {
		_, e1 := os.Stat(filepath.Join(out, "child.pid"))
		_, e2 := os.Stat(filepath.Join(out, "leader.pid"))
		return e1 == nil && e2 == nil
	})
	// Output is streamed while the task runs.
	waitFor(t, 5*time.Second, "live output of a running task", func() bool {
		out, code := g.cli("job", "logs", fmt.Sprint(id), "long")
		return code == 0 && strings.Contains(out, "long is running")
	})
	if _, code := g.cli("job", "kill", fmt.Sprint(id)); code != 0 {
		t.Fatalf("shrike job kill exit code %d", code)
	}
	job := g.wait(id, 10*time.Second)
	if job.State != api.JobKilled {
		t.Fatalf("job state %s, want KILLED", job.State)
	}
	for _, name := range []string{"long", "after"} {
		if tk := taskByName(t, job, name); tk.State != api.TaskKilled {
			t.Errorf("task %s state %s, want KILLED", name, tk.State)
		}
	}
	for _, f := range []string{"child.pid", "leader.pid"} {
		pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, filepath.Join(out, f))))
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, f+" process gone", func() bool {
			return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) || isZombie(pid)
		})
	}
	// The node's slots are free again: a new job runs.
	if j := g.wait(g.submit("name: next\ntasks: [{name: t, command: [\"true\"]}]\n"), 10*time.Second); j.State != api.JobFinished {
		t.Errorf("job after kill: %s", j.State)
	}
	// Killing a finished job is a conflict.
	if _, err := g.client.KillJob(context.Background(), id); !api.IsCode(err, api.CodeConflict) {
		t.Errorf("killing a killed job: err %v, want conflict", err)
	}
}

// TestRetryAndSkip: a task that fails on its first attempt succeeds on
// its second; a task that always fails exhausts max_attempts, its
// dependent is SKIPPED and the job FAILED; `job wait` exits 3.
func TestRetryAndSkip(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 2)
	g.waitNodes("n1")
	id := g.submit(`
name: retries
tasks:
  - name: flaky
    max_attempts: 3
    script: |
      echo "attempt $SHRIKE_ATTEMPT"
      [ "$SHRIKE_ATTEMPT" -ge 2 ]
  - name: broken
    max_attempts: 2
    command: ["sh", "-c", "exit 7"]
  - name: never
    depends_on: [broken]
    command: ["true"]
  - name: walltime
    walltime: 1s
    command: ["sleep", "30"]
`)
	job := g.wait(id, 30*time.Second)
	if job.State != api.JobFailed {
		t.Fatalf("job state %s, want FAILED", job.State)
	}
	check := func(name string, state api.TaskState, attempt, exit int) {
		tk := taskByName(t, job, name)
		if tk.State != state || tk.Attempt != attempt || tk.ExitCode == nil || *tk.ExitCode != exit {
			t.Errorf("task %s = state %s attempt %d exit %v, want %s %d %d", name, tk.State, tk.Attempt, tk.ExitCode, state, attempt, exit)
		}
	}
	check("flaky", api.TaskFinished, 2, 0)
	check("broken", api.TaskFailed, 2, 7)
	if tk := taskByName(t, job, "never"); tk.State != api.TaskSkipped || tk.Attempt != 0 {
		t.Errorf("task never = %+v, want SKIPPED without attempts", tk)
	}
	if tk := taskByName(t, job, "walltime"); tk.State != api.TaskFailed || !strings.Contains(tk.Error, "walltime") {
		t.Errorf("task walltime = %+v, want FAILED for walltime", tk)
	}
	if _, code := g.cli("job", "wait", fmt.Sprint(id)); code != 3 {
		t.Errorf("shrike job wait on a failed job exit code %d, want 3", code)
	}
}

// TestUsersSeeOwnJobs: a user sees and kills only their own jobs; admins
// see all; unauthenticated calls get 401.
func TestUsersSeeOwnJobs(t *testing.T) {
	g := newGrid(t)
	ctx := context.Background()
	if _, err := g.client.CreateUser(ctx, api.CreateUserRequest{Name: "bob", Password: "bob-secret-1", Role: api.RoleUser}); err != nil {
		t.Fatal(err)
	}
	login, err := api.NewClient(g.url(), "").Login(ctx, "bob", "bob-secret-1")
	if err != nil {
		t.Fatal(err)
	}
	bob := api.NewClient(g.url(), login.Token)
	adminJob := g.submit("name: admins\ntasks: [{name: t, command: [\"true\"]}]\n")
	bobJob, err := bob.SubmitJob(ctx, []byte(`{"name":"bobs","tasks":[{"name":"t","command":["true"]}]}`), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.GetJob(ctx, adminJob); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("bob reading admin's job: err %v, want not_found", err)
	}
	if _, err := bob.KillJob(ctx, adminJob); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("bob killing admin's job: err %v, want not_found", err)
	}
	list, err := bob.ListJobs(ctx, api.ListJobsOptions{})
	if err != nil || list.Total != 1 || list.Jobs[0].ID != bobJob.ID {
		t.Errorf("bob's listing = %+v (err %v), want only job %d", list, err, bobJob.ID)
	}
	// shrike login stores a token that later commands use.
	env := []string{"SHRIKE_PASSWORD=bob-secret-1", "SHRIKE_TOKEN="}
	if out, code := g.cliEnv(env, "login", "--server", g.url(), "--user", "bob"); code != 0 {
		t.Fatalf("shrike login: code %d: %s", code, out)
	}
	lsOut, code := g.cliEnv([]string{"SHRIKE_TOKEN="}, "job", "ls", "--json")
	var mine api.JobList
	if code != 0 || json.Unmarshal([]byte(lsOut), &mine) != nil || mine.Total != 1 || mine.Jobs[0].Owner != "bob" {
		t.Errorf("shrike job ls after login as bob: code %d, %q", code, lsOut)
	}
	if j, err := g.client.GetJob(ctx, bobJob.ID); err != nil || j.Owner != "bob" {
		t.Errorf("admin reading bob's job: %+v, %v", j, err)
	}
	if _, err := api.NewClient(g.url(), "bogus").ListJobs(ctx, api.ListJobsOptions{}); !api.IsCode(err, api.CodeUnauthorized) {
		t.Errorf("bad token: err %v, want unauthorized", err)
	}
	if _, err := bob.CreateUser(ctx, api.CreateUserRequest{Name: "eve", Password: "eve-secret-1"}); !api.IsCode(err, api.CodeForbidden) {
		t.Errorf("bob creating a user: err %v, want forbidden", err)
	}
}

// isZombie reports whether pid is a zombie (exited, not yet reaped by its
// parent): it no longer runs.
func isZombie(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}
