package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func (g *testGrid) setScheduler(t *testing.T, u api.SchedulerUpdate) api.SchedulerStatus {
	t.Helper()
	st, err := g.srv.SetScheduler(context.Background(), g.admin, u)
	if err != nil {
		t.Fatalf("set scheduler %+v: %v", u, err)
	}
	return st
}

func (g *testGrid) submit(t *testing.T, tasks ...api.TaskSpec) int64 {
	t.Helper()
	resp, err := g.srv.SubmitJob(context.Background(), g.admin, api.JobSpec{Name: "j", Tasks: tasks})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return resp.ID
}

// waitHeld waits until the job's first task shows why it waits, then
// checks that the task is still PENDING.
func (g *testGrid) waitHeld(t *testing.T, id int64, reason string) {
	t.Helper()
	waitUntil(t, 20*time.Second, "the task's waiting reason", func() bool {
		job, err := g.srv.GetJob(context.Background(), g.admin, id)
		return err == nil && slices.ContainsFunc(job.Tasks[0].WaitingReasons, func(r api.Reason) bool { return r.Message == reason })
	})
	job, err := g.srv.GetJob(context.Background(), g.admin, id)
	if err != nil || job.State != api.JobPending || job.Tasks[0].State != api.TaskPending {
		t.Fatalf("held job = %+v, %v; want it PENDING", job, err)
	}
}

// waitFile is a task that runs until path exists.
func waitFile(name, path string, deps ...string) api.TaskSpec {
	return commandTask(name, []string{"sh", "-c", `while [ ! -e "$0" ]; do sleep 0.02; done`, path}, deps...)
}

func TestSchedulerPauseHoldsJobsThatHaveNotStarted(t *testing.T) {
	g := startTestGrid(t, 1, 2)
	release := filepath.Join(t.TempDir(), "release")
	running := g.submit(t, waitFile("first", release), commandTask("second", []string{"true"}, "first"))
	waitUntil(t, 20*time.Second, "the first job running", func() bool {
		job, err := g.srv.GetJob(context.Background(), g.admin, running)
		return err == nil && job.State == api.JobRunning
	})

	if st := g.setScheduler(t, api.SchedulerUpdate{State: api.SchedulerPaused}); st.State != api.SchedulerPaused || st.By != "admin" {
		t.Fatalf("status = %+v", st)
	}
	held := g.submit(t, commandTask("only", []string{"true"}))
	g.waitHeld(t, held, reasonPaused)

	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if job := g.waitJob(t, running); job.State != api.JobFinished {
		t.Fatalf("running job = %s, want its second task started and FINISHED", job.State)
	}
	if job, _ := g.srv.GetJob(context.Background(), g.admin, held); job.State != api.JobPending {
		t.Fatalf("held job = %s while paused, want PENDING", job.State)
	}

	g.setScheduler(t, api.SchedulerUpdate{State: api.SchedulerStarted})
	if job := g.waitJob(t, held); job.State != api.JobFinished {
		t.Fatalf("held job after resume = %s, want FINISHED", job.State)
	}
}

func TestSchedulerFreezeHoldsEverything(t *testing.T) {
	g := startTestGrid(t, 1, 2)
	release := filepath.Join(t.TempDir(), "release")
	running := g.submit(t, waitFile("first", release), commandTask("second", []string{"true"}, "first"))
	waitUntil(t, 20*time.Second, "the first job running", func() bool {
		job, err := g.srv.GetJob(context.Background(), g.admin, running)
		return err == nil && job.State == api.JobRunning
	})
	g.setScheduler(t, api.SchedulerUpdate{State: api.SchedulerFrozen})
	held := g.submit(t, commandTask("only", []string{"true"}))
	g.waitHeld(t, held, reasonFrozen)

	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// The running task ends; the running job's next task is held too.
	waitUntil(t, 20*time.Second, "the second task's waiting reason", func() bool {
		job, err := g.srv.GetJob(context.Background(), g.admin, running)
		return err == nil && slices.ContainsFunc(job.Tasks[1].WaitingReasons, func(r api.Reason) bool { return r.Message == reasonFrozen })
	})
	if job, _ := g.srv.GetJob(context.Background(), g.admin, running); job.Tasks[1].State != api.TaskPending {
		t.Fatalf("second task = %s while frozen, want PENDING", job.Tasks[1].State)
	}

	g.setScheduler(t, api.SchedulerUpdate{State: api.SchedulerStarted})
	for _, id := range []int64{running, held} {
		if job := g.waitJob(t, id); job.State != api.JobFinished {
			t.Fatalf("job %d after start = %s, want FINISHED", id, job.State)
		}
	}
}

func TestSchedulerStopRefusesSubmissions(t *testing.T) {
	g := startTestGrid(t, 1, 1)
	ctx := context.Background()
	alice := rest.Principal{Name: "alice", Role: api.RoleUser}
	if _, err := g.srv.SetScheduler(ctx, alice, api.SchedulerUpdate{State: api.SchedulerStopped}); !api.IsCode(err, api.CodeForbidden) {
		t.Fatalf("user sets the state: %v, want forbidden", err)
	}
	_, err := g.srv.SetScheduler(ctx, g.admin, api.SchedulerUpdate{State: "SLEEPING"})
	var e *api.Error
	if !api.IsCode(err, api.CodeInvalid) || !errors.As(err, &e) || len(e.Errors) != 1 || e.Errors[0].Field != "state" {
		t.Fatalf("bad state: %v, want invalid naming state", err)
	}

	g.setScheduler(t, api.SchedulerUpdate{State: api.SchedulerStopped})
	_, err = g.srv.SubmitJob(ctx, g.admin, api.JobSpec{Name: "j", Tasks: []api.TaskSpec{commandTask("a", []string{"true"})}})
	if !api.IsCode(err, api.CodeUnavailable) {
		t.Fatalf("submit while stopped: %v, want unavailable", err)
	}
	g.setScheduler(t, api.SchedulerUpdate{State: api.SchedulerStarted})
	if job := g.waitJob(t, g.submit(t, commandTask("a", []string{"true"}))); job.State != api.JobFinished {
		t.Fatalf("job after start = %s", job.State)
	}
}

func TestSchedulerStateSurvivesRestart(t *testing.T) {
	cfg := TestConfig(filepath.Join(t.TempDir(), "server"))
	srv, stop := runServer(t, cfg)
	if st, _ := srv.Scheduler(context.Background(), rest.Principal{}); st.State != api.SchedulerStarted {
		t.Fatalf("fresh state = %+v, want STARTED", st)
	}
	admin := rest.Principal{Name: "root", Role: api.RoleAdmin}
	if _, err := srv.SetScheduler(context.Background(), admin, api.SchedulerUpdate{State: api.SchedulerPaused}); err != nil {
		t.Fatal(err)
	}
	stop()

	srv, _ = runServer(t, cfg)
	st, err := srv.Scheduler(context.Background(), rest.Principal{})
	if err != nil || st.State != api.SchedulerPaused || st.By != "root" || st.Since.IsZero() {
		t.Fatalf("state after restart = %+v, %v; want PAUSED by root", st, err)
	}
}

func TestSchedulerKillKillsEveryJob(t *testing.T) {
	g := startTestGrid(t, 1, 1)
	ctx := context.Background()
	running := g.submit(t, commandTask("long", []string{"sleep", "60"}))
	waitUntil(t, 20*time.Second, "the job running", func() bool {
		job, err := g.srv.GetJob(ctx, g.admin, running)
		return err == nil && job.State == api.JobRunning
	})
	queued := g.submit(t, commandTask("next", []string{"true"}), commandTask("other", []string{"true"}))

	stats, err := g.srv.SchedulerStats(ctx, g.admin, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if stats.Jobs[api.JobRunning] != 1 || stats.Jobs[api.JobPending] != 1 || stats.TasksRunning != 1 || stats.TasksPending != 2 ||
		stats.NodesFree+stats.NodesBusy != 1 || stats.User == nil || stats.User.TasksRunning != 1 || stats.User.Jobs[api.JobPending] != 1 {
		t.Fatalf("stats = %+v (user %+v)", stats, stats.User)
	}
	if _, err := g.srv.SchedulerStats(ctx, rest.Principal{Name: "alice", Role: api.RoleUser}, "admin"); !api.IsCode(err, api.CodeForbidden) {
		t.Fatalf("user asks for another's stats: %v, want forbidden", err)
	}

	st := g.setScheduler(t, api.SchedulerUpdate{Action: api.SchedulerActionKill})
	if st.State != api.SchedulerStopped || !slices.Equal(st.Killed, []int64{running, queued}) {
		t.Fatalf("after kill = %+v, want STOPPED with both jobs killed", st)
	}
	for _, id := range []int64{running, queued} {
		if job := g.waitJob(t, id); job.State != api.JobKilled {
			t.Fatalf("job %d = %s, want KILLED", id, job.State)
		}
	}
}
