package server

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// execResult drains an exec's channel.
type execResult struct {
	stdout, stderr string
	exit           *int
	err            *api.Error
}

func drainExec(t *testing.T, ch <-chan api.ExecOutput) execResult {
	t.Helper()
	var r execResult
	var out, errOut strings.Builder
	timeout := time.After(30 * time.Second)
	for {
		select {
		case o, ok := <-ch:
			if !ok {
				r.stdout, r.stderr = out.String(), errOut.String()
				return r
			}
			switch {
			case o.ExitCode != nil:
				r.exit = o.ExitCode
			case o.Error != nil:
				r.err = o.Error
			case o.Stream == api.StreamStderr:
				errOut.Write(o.Data)
			default:
				out.Write(o.Data)
			}
		case <-timeout:
			t.Fatal("the exec did not end")
		}
	}
}

func TestExecRelayAndAccess(t *testing.T) {
	g := startTestGrid(t, 2, 2)
	ctx := context.Background()
	alice := rest.Principal{Name: "alice", Role: api.RoleUser}
	bob := rest.Principal{Name: "bob", Role: api.RoleUser}
	submit := func(name string) int64 {
		resp, err := g.srv.SubmitJob(ctx, alice, api.JobSpec{Name: name, Tasks: []api.TaskSpec{
			commandTask("main", []string{"sleep", "60"}),
		}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.ID
	}
	id, other := submit("exec"), submit("other")
	var job api.Job
	waitUntil(t, 10*time.Second, "both tasks running", func() bool {
		job, _ = g.srv.GetJob(ctx, alice, id)
		o, _ := g.srv.GetJob(ctx, alice, other)
		return job.Tasks[0].State == api.TaskRunning && o.Tasks[0].State == api.TaskRunning
	})
	node := job.Tasks[0].Node
	notNode := map[string]string{"n1": "n2", "n2": "n1"}[node]

	// The owner runs a command on the task's node: it sees the task's
	// environment and work dir; output and exit code come back.
	ch, err := g.srv.ExecTask(ctx, alice, id, "main", api.TaskExecRequest{Node: node,
		Command: []string{"/bin/sh", "-c", `echo "$SHRIKE_JOB_ID $SHRIKE_TASK $SHRIKE_NODE $X $(basename $(pwd))"; echo warn >&2; exit 4`},
		Env:     map[string]string{"X": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	r := drainExec(t, ch)
	g.srv.mu.Lock()
	attemptDir := strconv.FormatInt(g.srv.jobs[id].tasks[0].rec.ID, 10) + "-1"
	g.srv.mu.Unlock()
	if want := strconv.FormatInt(id, 10) + " main " + node + " x " + attemptDir + "\n"; r.stdout != want || r.stderr != "warn\n" {
		t.Errorf("stdout %q, stderr %q; want %q, %q", r.stdout, r.stderr, want, "warn\n")
	}
	if r.exit == nil || *r.exit != 4 || r.err != nil {
		t.Errorf("exit %v, error %v; want exit code 4", r.exit, r.err)
	}

	// The job's own token may exec; another job's may not, even the
	// same owner's.
	token := func(job int64) rest.Principal {
		g.srv.mu.Lock()
		tok := g.srv.taskToken(g.srv.jobs[job].tasks[0])
		g.srv.mu.Unlock()
		p, err := g.srv.Authenticate(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	req := api.TaskExecRequest{Node: node, Command: []string{"true"}}
	for name, tc := range map[string]struct {
		p    rest.Principal
		req  api.TaskExecRequest
		task string
		code api.Code
	}{
		"own token":       {p: token(id), req: req},
		"admin":           {p: g.admin, req: req},
		"other job token": {p: token(other), req: req, code: api.CodeForbidden},
		"other user":      {p: bob, req: req, code: api.CodeNotFound},
		"unknown task":    {p: alice, req: req, task: "nope", code: api.CodeNotFound},
		"not its node":    {p: alice, req: api.TaskExecRequest{Node: notNode, Command: []string{"true"}}, code: api.CodeInvalid},
		"no command":      {p: alice, req: api.TaskExecRequest{Node: node}, code: api.CodeInvalid},
		"bad env":         {p: alice, req: api.TaskExecRequest{Node: node, Command: []string{"true"}, Env: map[string]string{"A=B": ""}}, code: api.CodeInvalid},
		"no such program": {p: alice, req: api.TaskExecRequest{Node: node, Command: []string{"/nonexistent/shrike"}}, code: api.CodeInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			task := cmp.Or(tc.task, "main")
			ch, err := g.srv.ExecTask(ctx, tc.p, id, task, tc.req)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if r := drainExec(t, ch); r.exit == nil || *r.exit != 0 {
					t.Errorf("exit %v, error %v", r.exit, r.err)
				}
				return
			}
			var apiErr *api.Error
			if !errors.As(err, &apiErr) || apiErr.Code != tc.code {
				t.Errorf("error %v, want %s", err, tc.code)
			}
		})
	}

	// A client that goes away kills its command.
	cctx, cancel := context.WithCancel(ctx)
	ch, err = g.srv.ExecTask(cctx, alice, id, "main", api.TaskExecRequest{Node: node, Command: []string{"/bin/sh", "-c", "echo $$; exec sleep 300"}})
	if err != nil {
		t.Fatal(err)
	}
	first := <-ch
	pid, err := strconv.Atoi(strings.TrimSpace(string(first.Data)))
	if err != nil {
		t.Fatalf("first output %+v: %v", first, err)
	}
	cancel()
	for range ch {
	}
	waitUntil(t, 10*time.Second, "the abandoned command killed", func() bool {
		return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
	})

	// Once the task is over, exec is refused.
	if err := g.srv.KillJob(ctx, alice, id); err != nil {
		t.Fatal(err)
	}
	g.waitJob(t, id)
	_, err = g.srv.ExecTask(ctx, alice, id, "main", req)
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Code != api.CodeConflict {
		t.Errorf("exec into a killed task: %v, want conflict", err)
	}
}
