package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/store"
)

// Exec relay timing (see ExecTask).
const (
	// execPoll is how often a relay with nothing to relay checks that its
	// attempt still runs on the node.
	execPoll = time.Second
	// execGoneGrace is how long a relay waits for the end message after
	// the attempt stopped running on the node (the node kills the exec
	// with it and reports its end, unless the node itself is gone).
	execGoneGrace = 10 * time.Second
	// execStartRetry bounds the retries of an exec the node refused
	// because it does not hold the attempt, or run its process, yet: the
	// holds of a multi-node task are started alongside its primary, whose
	// script may exec at once, and a task is RUNNING from its dispatch.
	execStartRetry = 5 * time.Second
	// execPending bounds the messages buffered for one relay.
	execPending = 1 << 16
)

// execTarget is the attempt an exec runs in, and on which node.
type execTarget struct {
	ref  api.TaskRef
	node string
}

// ExecTask implements rest.Backend: it starts req.Command on req.Node
// inside task's running attempt and relays the process's output and exit
// code. Callers: the job's owner, an admin, or a job-scoped token of that
// job (not of another job, even one of the owner's). The node must be one
// of the attempt's (rec.Node or others).
//
// The relay subscribes to the exec's subject before the node is asked to
// start it, so no output is missed; a gap in the messages' Seq (the
// server fell behind) ends the stream with an error. When ctx ends (the
// client went away) the node is told to kill the process.
func (s *Server) ExecTask(ctx context.Context, p rest.Principal, jobID int64, task string, req api.TaskExecRequest) (<-chan api.ExecOutput, error) {
	if err := checkTaskExec(req); err != nil {
		return nil, err
	}
	if p.Scope != nil && p.Scope.JobID != jobID {
		return nil, api.Errorf(api.CodeForbidden, "the token of job %d may exec only into the tasks of job %d", p.Scope.JobID, p.Scope.JobID)
	}
	target, err := s.execTarget(ctx, p, jobID, task, req.Node)
	if err != nil {
		return nil, err
	}
	id := newExecID()
	sub, err := s.nc.SubscribeSync(api.SubjectExec(target.node, id))
	if err != nil {
		return nil, fmt.Errorf("exec: %w", err)
	}
	_ = sub.SetPendingLimits(execPending, 64<<20)
	if err := s.nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("exec: %w", err)
	}
	cmd := api.ExecRequest{TaskRef: target.ref, ID: id, Argv: req.Command, Env: req.Env}
	if err := s.startExec(ctx, target, cmd); err != nil {
		_ = sub.Unsubscribe()
		return nil, err
	}
	out := make(chan api.ExecOutput, 64)
	go s.relayExec(ctx, target, id, sub, out)
	return out, nil
}

// checkTaskExec validates an exec request's body.
func checkTaskExec(req api.TaskExecRequest) error {
	var errs []api.FieldError
	if req.Node == "" {
		errs = append(errs, api.FieldError{Field: "node", Message: "is required: one of the task's nodes"})
	} else if err := api.ValidateNodeName(req.Node); err != nil {
		errs = append(errs, api.FieldError{Field: "node", Message: err.Error()})
	}
	if len(req.Command) == 0 || req.Command[0] == "" {
		errs = append(errs, api.FieldError{Field: "command", Message: "is required: the program and its arguments"})
	}
	for i, arg := range req.Command {
		if strings.ContainsRune(arg, 0) {
			errs = append(errs, api.FieldError{Field: fmt.Sprintf("command[%d]", i), Message: "must not contain NUL bytes"})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(req.Env)) {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(req.Env[k], 0) {
			errs = append(errs, api.FieldError{Field: "env." + k, Message: "names a variable without '=' or NUL, and its value has no NUL"})
		}
	}
	if len(errs) > 0 {
		return api.Invalid(errs)
	}
	return nil
}

// execTarget finds the running attempt of task in job jobID that p may
// exec into on node.
func (s *Server) execTarget(ctx context.Context, p rest.Principal, jobID int64, task, node string) (execTarget, error) {
	s.mu.Lock()
	j := s.jobs[jobID]
	if j == nil {
		s.mu.Unlock()
		rec, _, err := s.store.GetJob(ctx, jobID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !visible(p, rec.Owner)) {
			return execTarget{}, jobNotFound(jobID)
		}
		if err != nil {
			return execTarget{}, fmt.Errorf("job %d: %w", jobID, err)
		}
		return execTarget{}, api.Errorf(api.CodeConflict, "job %d is %s: none of its tasks runs", jobID, rec.State)
	}
	defer s.mu.Unlock()
	if !visible(p, j.rec.Owner) {
		return execTarget{}, jobNotFound(jobID)
	}
	i := slices.IndexFunc(j.tasks, func(t *taskState) bool { return t.rec.Name == task })
	if i < 0 {
		return execTarget{}, api.Errorf(api.CodeNotFound, "job %d has no task %q", jobID, task)
	}
	t := j.tasks[i]
	if st := api.TaskState(t.rec.State); st != api.TaskRunning {
		return execTarget{}, api.Errorf(api.CodeConflict, "task %s of job %d is %s: exec needs a running task", task, jobID, st)
	}
	if !t.onNode(node) {
		return execTarget{}, api.Invalid([]api.FieldError{{Field: "node",
			Message: fmt.Sprintf("node %q is not one of the nodes of task %s's attempt %d (%s)", node, task, t.rec.Attempt, strings.Join(t.slotNodes(), ", "))}})
	}
	return execTarget{ref: t.ref(), node: node}, nil
}

// execLive reports whether the exec's attempt still runs on its node.
func (s *Server) execLive(target execTarget) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tasks[target.ref.TaskID]
	return t != nil && t.rec.Attempt == target.ref.Attempt && api.TaskState(t.rec.State) == api.TaskRunning &&
		t.onNode(target.node)
}

// startExec asks the node to start the exec. A node that does not hold
// the attempt yet (not_found), or has not started its process yet
// (unavailable: dispatched, or pulling its inputs), is asked again for a
// while, as long as the attempt runs.
func (s *Server) startExec(ctx context.Context, target execTarget, cmd api.ExecRequest) error {
	deadline := time.Now().Add(execStartRetry)
	for {
		var reply api.CommandReply
		err := s.request(api.SubjectCommand(target.node), api.Command{Exec: &cmd}, &reply)
		switch {
		case errors.Is(err, errNotConnected):
			return api.Errorf(api.CodeUnavailable, "node %s is not connected", target.node)
		case err != nil:
			return api.Errorf(api.CodeUnavailable, "node %s did not answer the exec: %v", target.node, err)
		case reply.Error == nil:
			return nil
		case reply.Error.Code != api.CodeNotFound && reply.Error.Code != api.CodeUnavailable,
			time.Now().After(deadline), !s.execLive(target):
			return reply.Error
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// relayExec copies the node's exec messages to out until the end message,
// then closes out. It ends with an error line when messages were lost or
// the attempt ended without the exec's end being reported, and kills the
// exec when ctx ends first.
func (s *Server) relayExec(ctx context.Context, target execTarget, id string, sub *nats.Subscription, out chan<- api.ExecOutput) {
	defer close(out)
	defer func() { _ = sub.Unsubscribe() }()
	send := func(o api.ExecOutput) bool {
		select {
		case out <- o:
			return true
		case <-ctx.Done():
			return false
		}
	}
	fail := func(code api.Code, format string, args ...any) {
		send(api.ExecOutput{Error: api.Errorf(code, format, args...)})
		s.killExec(target, id)
	}
	var (
		next     uint64 = 1
		goneAt   time.Time
		lastSeen = time.Now()
	)
	for {
		msg, err := sub.NextMsg(execPoll)
		if ctx.Err() != nil {
			s.killExec(target, id) // the client went away
			return
		}
		switch {
		case errors.Is(err, nats.ErrTimeout):
			if s.execLive(target) {
				goneAt = time.Time{}
				continue
			}
			if goneAt.IsZero() {
				goneAt = time.Now()
			}
			if time.Since(goneAt) > execGoneGrace {
				fail(api.CodeUnavailable, "task %s's attempt %d no longer runs on node %s, which did not report the end of the command (last heard %s ago)",
					target.ref.Task, target.ref.Attempt, target.node, time.Since(lastSeen).Round(time.Second))
				return
			}
			continue
		case err != nil:
			fail(api.CodeUnavailable, "exec relay: %v", err)
			return
		}
		lastSeen = time.Now()
		var m api.ExecMessage
		if err := json.Unmarshal(msg.Data, &m); err != nil {
			fail(api.CodeInternal, "exec relay: bad message from node %s: %v", target.node, err)
			return
		}
		if m.Seq != next {
			fail(api.CodeUnavailable, "exec relay: output lost (message %d arrived, %d expected)", m.Seq, next)
			return
		}
		next++
		if m.End {
			if m.Error != "" {
				s.log.Warn("exec output incomplete", "job", target.ref.JobID, "task", target.ref.Task, "node", target.node, "err", m.Error)
			}
			code := m.ExitCode
			send(api.ExecOutput{ExitCode: &code})
			return
		}
		if !send(api.ExecOutput{Stream: m.Stream, Data: m.Data}) {
			s.killExec(target, id)
			return
		}
	}
}

// killExec asks the node to kill an exec whose client went away; a node
// that no longer runs it is fine.
func (s *Server) killExec(target execTarget, id string) {
	cmd := api.Command{Exec: &api.ExecRequest{TaskRef: target.ref, ID: id, Kill: true}}
	var reply api.CommandReply
	if err := s.request(api.SubjectCommand(target.node), cmd, &reply); err != nil {
		s.log.Debug("exec kill not delivered", "node", target.node, "exec", id, "err", err)
	}
}

// newExecID names an exec: unique per server, and a valid subject token.
func newExecID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
