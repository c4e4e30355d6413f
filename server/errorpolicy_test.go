package server

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/scheduler"
)

func scriptTask(name, script string, maxAttempts int) api.TaskSpec {
	return api.TaskSpec{Name: name, Script: script, Resources: api.Resources{CPU: 1}, MaxAttempts: maxAttempts}
}

// policyServer runs a server with in-process nodes of the given names.
func policyServer(t *testing.T, nodes ...string) *Server {
	t.Helper()
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	for _, n := range nodes {
		startNodeWith(t, srv, n, func(*node.Config) {})
	}
	waitReady(t, srv, nodes...)
	return srv
}

func submitAs(t *testing.T, srv *Server, p rest.Principal, spec api.JobSpec) int64 {
	t.Helper()
	resp, err := srv.SubmitJob(context.Background(), p, spec)
	if err != nil {
		t.Fatal(err)
	}
	return resp.ID
}

// TestRetryDelay: a failed attempt with attempts left waits its delay,
// with the reason "retrying at …", before it is dispatched again.
func TestRetryDelay(t *testing.T) {
	srv := policyServer(t, "n1")
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	const delay = 2 * time.Second
	task := scriptTask("flaky", "exit 1", 2)
	task.RetryDelay = api.Duration(delay)
	id := submitAs(t, srv, admin, api.JobSpec{Name: "j", Tasks: []api.TaskSpec{task}})

	var firstEnd time.Time
	waitUntil(t, 30*time.Second, "waiting for the retry", func() bool {
		job, err := srv.GetJob(context.Background(), admin, id)
		if err != nil || len(job.Tasks[0].WaitingReasons) == 0 || job.Tasks[0].FinishedAt == nil {
			return false
		}
		firstEnd = *job.Tasks[0].FinishedAt
		return strings.HasPrefix(job.Tasks[0].WaitingReasons[0].Message, "retrying at ")
	})
	job := waitJobDone(t, srv, admin, id)
	if job.State != api.JobFailed || job.Tasks[0].Attempt != 2 {
		t.Fatalf("job %s, task attempt %d; want FAILED after 2 attempts", job.State, job.Tasks[0].Attempt)
	}
	_, tasks, err := srv.store.GetJob(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if d := tasks[0].DispatchedAt; d == nil || d.Before(firstEnd.Add(delay)) {
		t.Errorf("second attempt dispatched at %v, want at least %v after the first failure (%v)", d, delay, firstEnd)
	}
}

// TestOnTaskErrorCancelJob: a task that fails for good kills the rest of
// its job, which FAILED.
func TestOnTaskErrorCancelJob(t *testing.T) {
	srv := policyServer(t, "n1")
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	bad := scriptTask("bad", "exit 3", 1)
	bad.OnTaskError = api.OnErrorCancelJob
	id := submitAs(t, srv, admin, api.JobSpec{Name: "j", Tasks: []api.TaskSpec{
		bad, scriptTask("long", "sleep 60", 1), scriptTask("queued", "sleep 60", 1), scriptTask("more", "sleep 60", 1),
	}})
	job := waitJobDone(t, srv, admin, id)
	if job.State != api.JobFailed {
		t.Errorf("job %s, want FAILED", job.State)
	}
	if job.Tasks[0].State != api.TaskFailed {
		t.Errorf("bad is %s, want FAILED", job.Tasks[0].State)
	}
	for _, tk := range job.Tasks[1:] {
		if tk.State != api.TaskKilled || !strings.Contains(tk.Error, "on_task_error: cancel_job") {
			t.Errorf("%s is %s (%q), want KILLED by cancel_job", tk.Name, tk.State, tk.Error)
		}
	}
}

// TestOnTaskErrorPauseJob: a task that fails for good pauses its job; its
// dependents are skipped, the rest may be resumed.
func TestOnTaskErrorPauseJob(t *testing.T) {
	srv := policyServer(t, "n1")
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	bad := scriptTask("bad", "exit 3", 1)
	bad.OnTaskError = api.OnErrorPauseJob
	dep := scriptTask("dep", "true", 1)
	dep.DependsOn = []string{"bad"}
	id := submitAs(t, srv, admin, api.JobSpec{Name: "j", Tasks: []api.TaskSpec{bad, dep, scriptTask("other", "sleep 60", 1)}})
	var job api.Job
	waitUntil(t, 30*time.Second, "job paused", func() bool {
		var err error
		job, err = srv.GetJob(ctx, admin, id)
		return err == nil && job.State == api.JobPaused && job.Tasks[0].State == api.TaskFailed
	})
	if job.Tasks[1].State != api.TaskSkipped {
		t.Errorf("dep is %s, want SKIPPED", job.Tasks[1].State)
	}
	if job, err := srv.ResumeJob(ctx, admin, id); err != nil || job.State == api.JobPaused {
		t.Fatalf("resume: %v, job %s", err, job.State)
	}
	if err := srv.KillJob(ctx, admin, id); err != nil {
		t.Fatal(err)
	}
}

// TestRetryElsewhere: with two nodes, a task that fails on one is retried
// on the other, then waits as it failed on every eligible node.
func TestRetryElsewhere(t *testing.T) {
	srv := policyServer(t, "a", "b")
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	task := scriptTask("t", "exit 1", 3)
	task.RetryElsewhere = true
	id := submitAs(t, srv, admin, api.JobSpec{Name: "j", Tasks: []api.TaskSpec{task}})
	waitUntil(t, 30*time.Second, "failed on every node", func() bool {
		job, err := srv.GetJob(context.Background(), admin, id)
		return err == nil && slices.ContainsFunc(job.Tasks[0].WaitingReasons, func(r api.Reason) bool {
			return r.Message == scheduler.MsgFailedEverywhere
		})
	})
	srv.mu.Lock()
	tk := srv.jobs[id].tasks[0]
	avoided, failures := slices.Sorted(slices.Values(tk.qt.AvoidNodes)), tk.rec.Failures
	srv.mu.Unlock()
	if !slices.Equal(avoided, []string{"a", "b"}) || failures != 2 {
		t.Errorf("avoided %v after %d failures, want [a b] after 2", avoided, failures)
	}
	if err := srv.KillJob(context.Background(), admin, id); err != nil {
		t.Fatal(err)
	}
}

// TestRetryDelaySurvivesRestart: a task waiting for its retry delay, with
// a node to avoid, keeps both across a server restart.
func TestRetryDelaySurvivesRestart(t *testing.T) {
	cfg := TestConfig(filepath.Join(t.TempDir(), "server"))
	srv, stop := runServer(t, cfg)
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	nodeCtx, stopNode := context.WithCancel(ctx)
	startNodeIn(t, nodeCtx, srv, "n1", 1)
	task := scriptTask("flaky", "exit 1", 2)
	task.RetryDelay = api.Duration(time.Hour)
	task.RetryElsewhere = true
	id := submitAs(t, srv, admin, api.JobSpec{Name: "j", Tasks: []api.TaskSpec{task}})
	var before api.Job
	waitUntil(t, 30*time.Second, "waiting for the retry", func() bool {
		before, _ = srv.GetJob(ctx, admin, id)
		return len(before.Tasks) == 1 && len(before.Tasks[0].WaitingReasons) > 0 &&
			strings.HasPrefix(before.Tasks[0].WaitingReasons[0].Message, "retrying at ")
	})
	stopNode()
	stop()

	srv, _ = runServer(t, cfg)
	after, err := srv.GetJob(ctx, admin, id)
	if err != nil || after.Tasks[0].State != api.TaskPending || len(after.Tasks[0].WaitingReasons) == 0 ||
		after.Tasks[0].WaitingReasons[0].Message != before.Tasks[0].WaitingReasons[0].Message {
		t.Fatalf("after the restart: %+v, %v; want it still %q", after.Tasks, err, before.Tasks[0].WaitingReasons[0].Message)
	}
	srv.mu.Lock()
	tk := srv.jobs[id].tasks[0]
	avoided, queued := slices.Clone(tk.qt.AvoidNodes), tk.queued
	srv.mu.Unlock()
	if !slices.Equal(avoided, []string{"n1"}) || queued {
		t.Errorf("after the restart: avoids %v, queued %v; want [n1], not queued before its delay", avoided, queued)
	}
	if err := srv.KillJob(ctx, admin, id); err != nil {
		t.Fatal(err)
	}
}
