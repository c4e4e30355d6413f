package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
)

// testGrid runs a server and node agents in this process, so that the race
// detector sees the server's concurrency (the e2e tests use processes).
type testGrid struct {
	srv    *Server
	admin  rest.Principal
	cancel context.CancelFunc
	done   chan error
}

func startTestGrid(t *testing.T, nodes, slots int) *testGrid {
	t.Helper()
	return startTestGridWith(t, nil, nodes, slots)
}

// startTestGridWith is startTestGrid with the test configuration changed
// by edit (nil: none).
func startTestGridWith(t *testing.T, edit func(*Config), nodes, slots int) *testGrid {
	t.Helper()
	dir := t.TempDir()
	cfg := TestConfig(filepath.Join(dir, "server"))
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &testGrid{srv: srv, admin: rest.Principal{Name: "admin", Role: api.RoleAdmin}, cancel: cancel, done: make(chan error, nodes+1)}
	go func() { g.done <- srv.Run(ctx) }()
	for i := 1; i <= nodes; i++ {
		agent, err := node.New(node.Config{ServerURL: srv.NATSURL(), Token: nodeSecret(t, srv, fmt.Sprintf("n%d", i)), Name: fmt.Sprintf("n%d", i),
			Slots: slots, CPUs: slots, WorkDir: filepath.Join(dir, fmt.Sprintf("node%d", i)), KillGrace: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		go func() { g.done <- agent.Run(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range nodes + 1 {
			if err := <-g.done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}
	})
	waitUntil(t, 10*time.Second, "nodes registered", func() bool {
		ns, _ := srv.ListNodes(ctx, g.admin)
		return len(ns) == nodes
	})
	return g
}

func (g *testGrid) waitJob(t *testing.T, id int64) api.Job {
	t.Helper()
	var job api.Job
	waitUntil(t, 30*time.Second, fmt.Sprintf("job %d over", id), func() bool {
		var err error
		job, err = g.srv.GetJob(context.Background(), g.admin, id)
		return err == nil && job.State.Terminal()
	})
	return job
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func commandTask(name string, argv []string, deps ...string) api.TaskSpec {
	return api.TaskSpec{Name: name, Command: argv, DependsOn: deps, Resources: api.Resources{CPU: 1}, MaxAttempts: 1}
}

// TestManyJobsConcurrently submits jobs from several goroutines while
// others read and kill: every job ends in the expected state, the node
// reservations all return, and the race detector watches.
func TestManyJobsConcurrently(t *testing.T) {
	g := startTestGrid(t, 2, 4)
	ctx := context.Background()
	const workers, perWorker = 4, 15
	ids := make(chan int64, workers*perWorker)
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range perWorker {
				spec := api.JobSpec{Name: fmt.Sprintf("w%d-%d", w, i), Tasks: []api.TaskSpec{
					commandTask("a", []string{"true"}),
					commandTask("b", []string{"sh", "-c", "echo b-$SHRIKE_JOB_ID"}, "a"),
					commandTask("c", []string{"true"}, "a"),
					commandTask("d", []string{"true"}, "b", "c"),
				}}
				resp, err := g.srv.SubmitJob(ctx, g.admin, spec)
				if err != nil {
					errs <- err
					return
				}
				ids <- resp.ID
				_, _ = g.srv.ListJobs(ctx, g.admin, rest.JobQuery{})
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(ids)
	for id := range ids {
		job := g.waitJob(t, id)
		if job.State != api.JobFinished {
			t.Errorf("job %d: %s %+v", id, job.State, job.Tasks)
		}
	}
	waitUntil(t, 5*time.Second, "reservations released", func() bool {
		nodes, _ := g.srv.ListNodes(ctx, g.admin)
		for _, n := range nodes {
			if len(n.RunningTasks) > 0 || n.State != api.NodeFree {
				return false
			}
		}
		return true
	})
}

// TestKillWhileRunningAndLogs kills a job whose task runs, and reads a
// finished task's complete output through TaskLog.
func TestKillWhileRunningAndLogs(t *testing.T) {
	g := startTestGrid(t, 1, 2)
	ctx := context.Background()
	resp, err := g.srv.SubmitJob(ctx, g.admin, api.JobSpec{Name: "k", Tasks: []api.TaskSpec{
		commandTask("sleep", []string{"sleep", "60"}),
		commandTask("talk", []string{"sh", "-c", "seq 1 20000"}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "talk finished and sleep running", func() bool {
		j, _ := g.srv.GetJob(ctx, g.admin, resp.ID)
		return len(j.Tasks) == 2 && j.Tasks[0].State == api.TaskRunning && j.Tasks[1].State == api.TaskFinished
	})
	var out strings.Builder
	waitUntil(t, 5*time.Second, "talk's log complete", func() bool {
		out.Reset()
		var off int64
		for {
			page, err := g.srv.TaskLog(ctx, g.admin, resp.ID, "talk", 0, off, 4096)
			if err != nil {
				return false
			}
			out.Write(page.Data)
			off = page.Next
			if len(page.Data) == 0 {
				return page.Done
			}
		}
	})
	if lines := strings.Count(out.String(), "\n"); lines != 20000 || !strings.HasSuffix(out.String(), "20000\n") {
		t.Errorf("talk's log has %d lines", lines)
	}
	if err := g.srv.KillJob(ctx, g.admin, resp.ID); err != nil {
		t.Fatal(err)
	}
	job := g.waitJob(t, resp.ID)
	if job.State != api.JobKilled || job.Tasks[0].State != api.TaskKilled {
		t.Fatalf("after kill: %s %+v", job.State, job.Tasks)
	}
	waitUntil(t, 10*time.Second, "node idle after kill", func() bool {
		nodes, _ := g.srv.ListNodes(ctx, g.admin)
		return len(nodes) == 1 && len(nodes[0].RunningTasks) == 0
	})
}

func TestConfigValidateReportsEverything(t *testing.T) {
	c := DefaultConfig()
	c.DataDir, c.Listen, c.HeartbeatInterval, c.Synchronous = "", "nope", 0, "SOMETIMES"
	err := c.Validate()
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, want := range []string{"data_dir", "listen", "heartbeat_interval", "sqlite_synchronous"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestSecretsFilesAreCreatedPrivate(t *testing.T) {
	g := startTestGrid(t, 0, 1)
	for _, f := range []string{AdminPasswordFile, NodeTokenFile, "shrike.db"} {
		fi, err := os.Stat(filepath.Join(g.srv.DataDir(), f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	if _, err := g.srv.Login(context.Background(), "admin", "wrong"); !api.IsCode(err, api.CodeUnauthorized) {
		t.Errorf("wrong password: %v", err)
	}
}

// nodeSecret enrolls node name in the default source and returns its own
// NATS secret (the server must be running).
func nodeSecret(t testing.TB, srv *Server, name string) string {
	t.Helper()
	cred, err := srv.EnrollLocal(context.Background(), name)
	if err != nil {
		t.Fatalf("enroll %s: %v", name, err)
	}
	return cred.Secret
}
