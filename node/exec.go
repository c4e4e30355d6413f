package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// execChunk is the most output one ExecMessage carries.
const execChunk = 32 << 10

// execDrain bounds the wait for an exec's output after its group was
// killed: a process that left the group (setsid) may keep the pipes open.
const execDrain = 2 * time.Second

// execProc is one process exec'd into an attempt (api.ExecRequest). It
// leads a process group of its own; the attempt signals that group with
// its own (attempt.signalLocked). Its output is published on
// api.SubjectExec as ExecMessages, then one end message with its exit code.
type execProc struct {
	id     string
	pgid   int
	reaped bool          // the leader has been reaped and the group killed (under attempt.mu)
	done   chan struct{} // closed once the end message is out

	pub  func(subject string, data []byte) error
	subj string
	mu   sync.Mutex // orders seq and the publishes
	seq  uint64
}

// exec answers an ExecRequest: start a process in a running attempt, or
// kill one started earlier.
func (a *Agent) exec(req api.ExecRequest) api.CommandReply {
	if err := api.ValidateExecID(req.ID); err != nil {
		return api.CommandReply{Error: api.Errorf(api.CodeBadRequest, "%v", err)}
	}
	a.mu.Lock()
	at := a.running[req.Key()]
	closing := a.closing
	a.mu.Unlock()
	if at == nil || closing || (req.JobID != 0 && at.ref.JobID != req.JobID) {
		return api.CommandReply{Error: api.Errorf(api.CodeNotFound, "node %s runs no attempt %d of task %d", a.cfg.Name, req.Attempt, req.TaskID)}
	}
	if req.Kill {
		if !at.killExec(req.ID) {
			return api.CommandReply{Error: api.Errorf(api.CodeNotFound, "attempt %d of task %d has no exec %s running", req.Attempt, req.TaskID, req.ID)}
		}
		return api.CommandReply{Accepted: []api.TaskRef{at.ref}}
	}
	if reason := checkExec(req); reason != "" {
		return api.CommandReply{Error: api.Errorf(api.CodeBadRequest, "exec: %s", reason)}
	}
	if err := a.startExec(at, req); err != nil {
		var apiErr *api.Error
		if errors.As(err, &apiErr) {
			return api.CommandReply{Error: apiErr}
		}
		return api.CommandReply{Error: api.Errorf(api.CodeInvalid, "exec on node %s: %v", a.cfg.Name, err)}
	}
	return api.CommandReply{Accepted: []api.TaskRef{at.ref}}
}

// checkExec returns why req cannot be started, or "".
func checkExec(req api.ExecRequest) string {
	var problems []string
	if len(req.Argv) == 0 || req.Argv[0] == "" {
		problems = append(problems, "argv must name a program")
	}
	for _, arg := range req.Argv {
		if strings.ContainsRune(arg, 0) {
			problems = append(problems, "argv must not contain NUL bytes")
			break
		}
	}
	problems = append(problems, checkEnv(req.Env)...)
	return strings.Join(problems, "; ")
}

// startExec starts req's process in at's work dir with the task's
// environment and req.Env, and its output relay. The start happens under
// at.mu so that a stop cannot miss it: either the attempt is still live
// and the group is registered before the lock goes, or nothing starts.
func (a *Agent) startExec(at *attempt, req api.ExecRequest) error {
	if err := os.MkdirAll(at.dir, 0o700); err != nil { // a hold's goroutine may not have made it yet
		return fmt.Errorf("cannot create the task work dir: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		_ = outR.Close()
		_ = outW.Close()
		return err
	}
	cmd := exec.Command(req.Argv[0], req.Argv[1:]...)
	cmd.Dir = at.dir
	cmd.Env = a.envWith(at.spec, req.Env)
	cmd.Stdout, cmd.Stderr = outW, errW
	cmd.SysProcAttr = taskSysProcAttr()
	ep := &execProc{
		id:   req.ID,
		done: make(chan struct{}),
		pub:  a.nc.Publish,
		subj: api.SubjectExec(a.cfg.Name, req.ID),
	}

	at.mu.Lock()
	switch {
	case at.exited || at.reason != "":
		err = api.Errorf(api.CodeConflict, "attempt %d of task %d is ending", at.ref.Attempt, at.ref.TaskID)
	case !at.hold && at.pgid == 0:
		// Transient: the server asks again for a while.
		err = api.Errorf(api.CodeUnavailable, "attempt %d of task %d has not started its process yet", at.ref.Attempt, at.ref.TaskID)
	case at.execs[req.ID] != nil:
		err = api.Errorf(api.CodeConflict, "exec %s already runs", req.ID)
	default:
		cmd, err = startCmd(cmd)
	}
	if err == nil {
		ep.pgid = cmd.Process.Pid
		if at.suspended {
			_ = syscall.Kill(-ep.pgid, syscall.SIGSTOP)
		}
		if at.execs == nil {
			at.execs = make(map[string]*execProc)
		}
		at.execs[req.ID] = ep
		// Counted while at is running (a.attempts > 0), so Add is safe.
		a.attempts.Add(1)
	}
	at.mu.Unlock()
	_ = outW.Close() // the child holds its own
	_ = errW.Close()
	if err != nil {
		_ = outR.Close()
		_ = errR.Close()
		return err
	}
	a.log.Debug("exec started", "task_id", at.ref.TaskID, "attempt", at.ref.Attempt, "exec", req.ID, "argv", req.Argv)
	go a.relayExec(at, ep, cmd, outR, errR)
	return nil
}

// relayExec publishes the output of ep until both pipes end, waits for the
// process, kills what is left of its group, and publishes the end message.
func (a *Agent) relayExec(at *attempt, ep *execProc, cmd *exec.Cmd, outR, errR *os.File) {
	defer a.attempts.Done()
	defer close(ep.done)
	var readers sync.WaitGroup
	readErrs := make([]error, 2)
	for i, r := range []struct {
		f      *os.File
		stream string
	}{{outR, api.StreamStdout}, {errR, api.StreamStderr}} {
		readers.Go(func() { readErrs[i] = ep.copyOut(r.f, r.stream) })
	}
	waitErr := cmd.Wait()
	code := exitCode(cmd, waitErr)
	at.mu.Lock()
	// The leader is gone; whatever it left in its group goes too (as for
	// the attempt's own group).
	_ = syscall.Kill(-ep.pgid, syscall.SIGKILL)
	ep.reaped = true
	delete(at.execs, ep.id)
	at.mu.Unlock()

	drained := make(chan struct{})
	go func() { readers.Wait(); close(drained) }()
	end := api.ExecMessage{End: true, ExitCode: code}
	select {
	case <-drained:
	case <-time.After(execDrain):
		// A process that left the group holds a pipe: stop reading.
		_ = outR.Close()
		_ = errR.Close()
		<-drained
		end.Error = "a process the command started outside its process group kept its output open; the rest was not read"
	}
	_ = outR.Close()
	_ = errR.Close()
	if end.Error == "" {
		if err := errors.Join(readErrs...); err != nil {
			end.Error = err.Error()
		}
	}
	if err := ep.publish(end); err != nil {
		a.log.Warn("cannot publish the end of an exec", "exec", ep.id, "err", err)
	}
	a.log.Debug("exec ended", "task_id", at.ref.TaskID, "attempt", at.ref.Attempt, "exec", ep.id, "exit_code", code)
}

// copyOut publishes what f yields as stream chunks until f ends. After a
// failed publish it goes on reading, and drops the output, so that the
// process does not block on a full pipe; the first failure is returned.
func (ep *execProc) copyOut(f *os.File, stream string) error {
	buf := make([]byte, execChunk)
	var pubErr error
	for {
		n, err := f.Read(buf)
		if n > 0 && pubErr == nil {
			if perr := ep.publish(api.ExecMessage{Stream: stream, Data: buf[:n]}); perr != nil {
				pubErr = fmt.Errorf("publishing %s: %w", stream, perr)
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF), errors.Is(err, os.ErrClosed):
			return pubErr
		default:
			return errors.Join(pubErr, fmt.Errorf("reading %s: %w", stream, err))
		}
	}
}

// publish sends one message with the next Seq. The lock keeps the two
// streams' messages in Seq order on the wire.
func (ep *execProc) publish(m api.ExecMessage) error {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.seq++
	m.Seq = ep.seq
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return ep.pub(ep.subj, data)
}

// killExec stops exec id (its client went away): SIGTERM to its group,
// SIGKILL after the attempt's grace. It reports whether the exec ran.
func (at *attempt) killExec(id string) bool {
	at.mu.Lock()
	ep := at.execs[id] // in execs until reaped
	if ep != nil {
		_ = syscall.Kill(-ep.pgid, syscall.SIGTERM)
		_ = syscall.Kill(-ep.pgid, syscall.SIGCONT)
	}
	at.mu.Unlock()
	if ep == nil {
		return false
	}
	time.AfterFunc(at.grace, func() {
		at.mu.Lock()
		defer at.mu.Unlock()
		if !ep.reaped {
			_ = syscall.Kill(-ep.pgid, syscall.SIGKILL)
		}
	})
	return true
}

// waitExecs waits until every exec of at has ended.
func (at *attempt) waitExecs() {
	for {
		at.mu.Lock()
		var ep *execProc
		for _, e := range at.execs {
			ep = e
			break
		}
		at.mu.Unlock()
		if ep == nil {
			return
		}
		<-ep.done
	}
}
