package resttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// RunTaskOn makes a job's task RUNNING (attempt 1) on nodes, the first
// running it and the others held for it, as a multi-node task is.
func (f *FakeBackend) RunTaskOn(jobID int64, task string, nodes ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.jobs[jobID]
	for i := range j.job.Tasks {
		if t := &j.job.Tasks[i]; t.Name == task {
			t.State, t.Attempt, t.Node, t.Nodes = api.TaskRunning, max(t.Attempt, 1), nodes[0], slices.Clone(nodes)
			j.job.State = api.JobRunning
		}
	}
}

// ExecTask implements rest.Backend with the server's checks (access, a
// job-scoped token for its own job only, a running task, one of its
// nodes). The command really runs, here, as a child process: with the
// fake's environment plus req.Env, SHRIKE_NODE=node and SHRIKE_JOB_ID;
// it is killed when ctx ends.
func (f *FakeBackend) ExecTask(ctx context.Context, p rest.Principal, jobID int64, task string, req api.TaskExecRequest) (<-chan api.ExecOutput, error) {
	if req.Node == "" || len(req.Command) == 0 {
		var errs []api.FieldError
		if req.Node == "" {
			errs = append(errs, api.FieldError{Field: "node", Message: "is required: one of the task's nodes"})
		}
		if len(req.Command) == 0 {
			errs = append(errs, api.FieldError{Field: "command", Message: "is required: the program and its arguments"})
		}
		return nil, api.Invalid(errs)
	}
	if p.Scope != nil && p.Scope.JobID != jobID {
		return nil, api.Errorf(api.CodeForbidden, "the token of job %d may exec only into the tasks of job %d", p.Scope.JobID, p.Scope.JobID)
	}
	f.mu.Lock()
	j, err := f.jobLocked(p, jobID)
	if err != nil {
		f.mu.Unlock()
		return nil, err
	}
	i := slices.IndexFunc(j.job.Tasks, func(t api.Task) bool { return t.Name == task })
	if i < 0 {
		f.mu.Unlock()
		return nil, api.Errorf(api.CodeNotFound, "job %d has no task %q", jobID, task)
	}
	t := j.job.Tasks[i]
	f.mu.Unlock()
	if t.State != api.TaskRunning {
		return nil, api.Errorf(api.CodeConflict, "task %s of job %d is %s: exec needs a running task", task, jobID, t.State)
	}
	if t.Node != req.Node && !slices.Contains(t.Nodes, req.Node) {
		return nil, api.Invalid([]api.FieldError{{Field: "node",
			Message: fmt.Sprintf("node %q is not one of the nodes of task %s's attempt %d (%s)", req.Node, task, t.Attempt, strings.Join(t.Nodes, ", "))}})
	}

	cmd := exec.CommandContext(ctx, req.Command[0], req.Command[1:]...)
	cmd.Env = append(os.Environ(), "SHRIKE_NODE="+req.Node, fmt.Sprintf("SHRIKE_JOB_ID=%d", jobID))
	for k, v := range req.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, api.Errorf(api.CodeInvalid, "exec on node %s: %v", req.Node, err)
	}
	out := make(chan api.ExecOutput)
	go func() {
		defer close(out)
		var copies sync.WaitGroup
		for _, s := range []struct {
			r      io.Reader
			stream string
		}{{stdout, api.StreamStdout}, {stderr, api.StreamStderr}} {
			copies.Go(func() {
				buf := make([]byte, 4096)
				for {
					n, err := s.r.Read(buf)
					if n > 0 {
						select {
						case out <- api.ExecOutput{Stream: s.stream, Data: slices.Clone(buf[:n])}:
						case <-ctx.Done():
						}
					}
					if err != nil {
						return
					}
				}
			})
		}
		copies.Wait()
		err := cmd.Wait()
		code := 0
		var exitErr *exec.ExitError
		switch {
		case errors.As(err, &exitErr):
			code = exitErr.ExitCode()
		case err != nil:
			code = -1
		}
		select {
		case out <- api.ExecOutput{ExitCode: &code}:
		case <-ctx.Done():
		}
	}()
	return out, nil
}
