package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
)

func wantCode(t *testing.T, what string, err error, code api.Code) {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != code || ae.Message == "" {
		t.Errorf("%s: %v, want %s with a message", what, err, code)
	}
}

func (g *testGrid) waitTask(t *testing.T, id int64, task int, st api.TaskState) api.Job {
	t.Helper()
	var job api.Job
	waitUntil(t, 20*time.Second, "task "+string(st), func() bool {
		job, _ = g.srv.GetJob(context.Background(), g.admin, id)
		return len(job.Tasks) > task && job.Tasks[task].State == st
	})
	return job
}

func TestPauseHoldsNewTasksAndResumeReleasesThem(t *testing.T) {
	g := startTestGrid(t, 1, 2)
	ctx := context.Background()
	release := filepath.Join(t.TempDir(), "release")
	id := g.submit(t, waitFile("first", release), commandTask("second", []string{"true"}, "first"))
	g.waitTask(t, id, 0, api.TaskRunning)
	job, err := g.srv.PauseJob(ctx, g.admin, id)
	if err != nil || job.State != api.JobPaused {
		t.Fatalf("pause = %s, %v", job.State, err)
	}
	_, err = g.srv.PauseJob(ctx, g.admin, id)
	wantCode(t, "second pause", err, api.CodeConflict)
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	g.waitTask(t, id, 0, api.TaskFinished) // the running task went on
	waitUntil(t, 20*time.Second, "second held", func() bool {
		job, _ = g.srv.GetJob(ctx, g.admin, id)
		return len(job.Tasks[1].WaitingReasons) > 0 && job.Tasks[1].WaitingReasons[0].Message == reasonJobPaused
	})
	if job.State != api.JobPaused || job.Tasks[1].State != api.TaskPending {
		t.Fatalf("paused job = %s, second %s", job.State, job.Tasks[1].State)
	}
	if job, err = g.srv.ResumeJob(ctx, g.admin, id); err != nil || job.State != api.JobRunning {
		t.Fatalf("resume = %s, %v", job.State, err)
	}
	if job = g.waitJob(t, id); job.State != api.JobFinished {
		t.Errorf("job = %s, want FINISHED", job.State)
	}
	_, err = g.srv.ResumeJob(ctx, g.admin, id)
	wantCode(t, "resume of a finished job", err, api.CodeConflict)
	alice := rest.Principal{Name: "alice", Role: api.RoleUser}
	_, err = g.srv.PauseJob(ctx, alice, id)
	wantCode(t, "another user's job", err, api.CodeNotFound)
	_, err = g.srv.PauseJob(ctx, g.admin, 999)
	wantCode(t, "unknown job", err, api.CodeNotFound)
}

func TestPauseSurvivesRestart(t *testing.T) {
	cfg := TestConfig(filepath.Join(t.TempDir(), "server"))
	srv, stop := runServer(t, cfg)
	admin := rest.Principal{Name: "root", Role: api.RoleAdmin}
	ctx := context.Background()
	resp, err := srv.SubmitJob(ctx, admin, api.JobSpec{Name: "p", Tasks: []api.TaskSpec{commandTask("a", []string{"true"})}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.PauseJob(ctx, admin, resp.ID); err != nil {
		t.Fatal(err)
	}
	stop()

	srv, _ = runServer(t, cfg)
	startNodeWith(t, srv, "n1", func(*node.Config) {})
	waitReady(t, srv, "n1")
	waitUntil(t, 20*time.Second, "task held after restart", func() bool {
		job, _ := srv.GetJob(ctx, admin, resp.ID)
		return job.State == api.JobPaused && len(job.Tasks[0].WaitingReasons) > 0 &&
			job.Tasks[0].WaitingReasons[0].Message == reasonJobPaused
	})
	if _, err := srv.ResumeJob(ctx, admin, resp.ID); err != nil {
		t.Fatal(err)
	}
	if job := waitJobDone(t, srv, admin, resp.ID); job.State != api.JobFinished {
		t.Errorf("job = %s, want FINISHED", job.State)
	}
}

func TestRestartFailedRerunsFailedAndSkippedTasks(t *testing.T) {
	g := startTestGrid(t, 1, 2)
	ctx := context.Background()
	fixed := filepath.Join(t.TempDir(), "fixed")
	id := g.submit(t,
		commandTask("flaky", []string{"sh", "-c", `test -e "$0"`, fixed}),
		commandTask("after", []string{"true"}, "flaky"),
		commandTask("last", []string{"true"}, "after"))
	job := g.waitJob(t, id)
	if job.State != api.JobFailed || job.Tasks[1].State != api.TaskSkipped || job.Tasks[2].State != api.TaskSkipped {
		t.Fatalf("job = %+v, want FAILED with two skipped", job)
	}
	_, err := g.srv.ControlTask(ctx, g.admin, id, "flaky", api.TaskKill, "")
	wantCode(t, "kill in a failed job", err, api.CodeConflict)
	if err := os.WriteFile(fixed, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if job, err = g.srv.RestartFailed(ctx, g.admin, id); err != nil || job.State.Terminal() {
		t.Fatalf("restart = %+v, %v", job, err)
	}
	if job = g.waitJob(t, id); job.State != api.JobFinished {
		t.Fatalf("job after restart = %+v, want FINISHED", job)
	}
	_, err = g.srv.RestartFailed(ctx, g.admin, id)
	wantCode(t, "restart without failures", err, api.CodeConflict)
}

func TestTaskControls(t *testing.T) {
	g := startTestGrid(t, 1, 2)
	ctx := context.Background()
	release := filepath.Join(t.TempDir(), "release")
	id := g.submit(t,
		waitFile("long", release),
		commandTask("dep", []string{"true"}, "long"),
		waitFile("other", release))
	g.waitTask(t, id, 0, api.TaskRunning)
	g.waitTask(t, id, 2, api.TaskRunning)

	// Preempt: the task runs again, with no failure counted.
	job, err := g.srv.ControlTask(ctx, g.admin, id, "other", api.TaskPreempt, "make room")
	if err != nil || job.Tasks[2].State == api.TaskRunning && job.Tasks[2].Attempt == 1 {
		t.Fatalf("preempt = %+v, %v", job.Tasks[2], err)
	}
	if !strings.Contains(job.Tasks[2].Error, "preempted by admin: make room") {
		t.Errorf("preempted task's error = %q, want the reason", job.Tasks[2].Error)
	}
	waitUntil(t, 20*time.Second, "attempt 2 running", func() bool {
		job, _ = g.srv.GetJob(ctx, g.admin, id)
		return job.Tasks[2].State == api.TaskRunning && job.Tasks[2].Attempt == 2
	})
	_, err = g.srv.ControlTask(ctx, g.admin, id, "dep", api.TaskPreempt, "")
	if wantCode(t, "preempt of a pending task", err, api.CodeConflict); err != nil && !strings.Contains(err.Error(), "PENDING") {
		t.Errorf("message %q does not say the state", err)
	}

	// Kill the running task: its dependent is skipped.
	if job, err = g.srv.ControlTask(ctx, g.admin, id, "long", api.TaskKill, ""); err != nil {
		t.Fatal(err)
	}
	if job.Tasks[0].State != api.TaskKilled || job.Tasks[1].State != api.TaskSkipped || job.State.Terminal() {
		t.Fatalf("after kill: %+v", job)
	}
	// Mark it finished: the dependent runs.
	if job, err = g.srv.ControlTask(ctx, g.admin, id, "long", api.TaskFinish, ""); err != nil {
		t.Fatal(err)
	}
	if job.Tasks[0].State != api.TaskFinished || job.Tasks[1].State == api.TaskSkipped {
		t.Fatalf("after finish: %+v", job)
	}
	g.waitTask(t, id, 1, api.TaskFinished)

	// Kill the other one, then restart it: the job finishes.
	if job, err = g.srv.ControlTask(ctx, g.admin, id, "other", api.TaskKill, ""); err != nil || job.State != api.JobKilled {
		t.Fatalf("kill other = %s, %v", job.State, err)
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if job, err = g.srv.ControlTask(ctx, g.admin, id, "other", api.TaskRestart, ""); err != nil || job.State.Terminal() {
		t.Fatalf("restart other = %s, %v", job.State, err)
	}
	if job = g.waitJob(t, id); job.State != api.JobFinished {
		t.Errorf("job = %+v, want FINISHED", job)
	}
	_, err = g.srv.ControlTask(ctx, g.admin, id, "nope", api.TaskRestart, "")
	wantCode(t, "unknown task", err, api.CodeNotFound)
	_, err = g.srv.ControlTask(ctx, g.admin, id, "other", api.TaskRestart, "")
	wantCode(t, "restart of a finished task", err, api.CodeConflict)
}
