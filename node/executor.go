package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// startRetries bounds the retries of a start that failed with ETXTBSY: a
// script just written can be briefly "busy" while another goroutine forks
// (the child holds the write descriptor until it execs).
const startRetries = 10

// admit registers an attempt for t and starts it in the background. It
// returns accepted=false with a reason if the node is shutting down. A
// repeated start of an attempt that runs or awaits acknowledgement is
// accepted without starting anything.
func (a *Agent) admit(t api.StartTask) (accepted bool, reason string) {
	k := t.Key()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closing {
		return false, "node is shutting down"
	}
	if a.running[k] != nil || a.outbox.Has(k) {
		return true, ""
	}
	grace := a.cfg.KillGrace
	if t.KillGrace > 0 {
		grace = time.Duration(t.KillGrace)
	}
	ctx, cancel := context.WithCancel(context.Background())
	at := &attempt{
		ctx:       ctx,
		cancel:    cancel,
		spec:      t,
		ref:       t.TaskRef,
		dir:       a.workDir(k),
		logPath:   a.logPath(k),
		grace:     grace,
		suspended: a.suspended, // a suspended node starts its tasks stopped
		hold:      t.Hold,
	}
	a.running[k] = at
	a.attempts.Add(1)
	go a.runAttempt(at)
	return true, ""
}

// runAttempt runs at to its end, streams its output, and puts its result
// in the outbox (unless the agent is shutting down).
func (a *Agent) runAttempt(at *attempt) {
	defer a.attempts.Done()
	defer at.cancel()
	res := a.execute(at)
	at.logDone.Store(true)
	switch {
	case keptOnFailure(at, res):
		// Kept for LogRetention from now (cleanKeptScratch).
		now := time.Now()
		_ = os.Chtimes(at.dir, now, now)
	case !a.cfg.KeepWorkDirs:
		if err := os.RemoveAll(at.dir); err != nil {
			a.log.Warn("cannot remove task work dir", "dir", at.dir, "err", err)
		}
	}
	if at.wantsResult() {
		if err := a.outbox.Add(res); err != nil {
			a.log.Error("result kept in memory only", "task_id", res.TaskID, "attempt", res.Attempt, "err", err)
		}
		a.log.Debug("task ended", "task_id", res.TaskID, "attempt", res.Attempt, "outcome", res.Outcome, "exit_code", res.ExitCode)
	}
	a.mu.Lock()
	delete(a.running, at.ref.Key())
	a.mu.Unlock()
}

// execute runs the attempt — inputs pulled, process, outputs pushed —
// and returns its result. The log is fully published (EOF chunk) before
// it returns.
func (a *Agent) execute(at *attempt) api.TaskResult {
	if at.hold {
		return a.hold(at)
	}
	res := api.TaskResult{TaskRef: at.ref, StartedAt: time.Now()}
	tl := newTail(a, at.ref, at.logPath)
	var tailTimer *time.Timer
	// end publishes the rest of the log, unless no result is wanted.
	end := func(noResult bool) api.TaskResult {
		if tailTimer != nil && !tailTimer.Stop() {
			tl.stopLoop() // the loop started: let it finish its current pass
		}
		if keptOnFailure(at, res) {
			appendLog(at.logPath, "shrike: scratch directory of the failed attempt kept on node %s: %s\n", a.cfg.Name, at.dir)
		}
		if !noResult {
			tl.drain()
		}
		tl.close()
		res.LogSize = tl.off
		return res
	}
	// notRun ends an attempt whose process did not start.
	notRun := func(outcome api.Outcome, msg string) api.TaskResult {
		_, noResult := at.exit()
		res.Outcome, res.ExitCode, res.FinishedAt, res.Error = outcome, -1, time.Now(), msg
		return end(noResult)
	}
	logFile, err := os.OpenFile(at.logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return notRun(api.OutcomeError, fmt.Sprintf("cannot create the task log: %v", err))
	}
	// Short tasks end before the first poll and never start a ticker.
	tailTimer = time.AfterFunc(a.cfg.LogPollInterval, tl.loop)
	cmd, err := a.prepare(at, logFile)
	var stageErr *stagingError
	if errors.As(err, &stageErr) {
		_ = logFile.Close()
		if reason := at.stopRequested(); reason != "" {
			return notRun(reason, "stopped while staging the inputs")
		}
		return notRun(api.OutcomeError, stageErr.Error())
	}
	if err == nil {
		if reason := at.stopRequested(); reason != "" {
			// Stopped before it started: do not start it at all.
			_ = logFile.Close()
			return notRun(reason, "")
		}
		res.StartedAt = time.Now()
		cmd, err = startCmd(cmd)
	}
	if err != nil {
		fmt.Fprintf(logFile, "shrike: cannot start the task: %v\n", err)
		_ = logFile.Close()
		return notRun(api.OutcomeError, err.Error())
	}
	_ = logFile.Close() // the child holds its own descriptors
	at.started(cmd.Process.Pid, time.Duration(at.spec.Walltime))

	waitErr := cmd.Wait()
	res.FinishedAt = time.Now()
	reason, noResult := at.exit()
	res.ExitCode = exitCode(cmd, waitErr)
	switch {
	case reason != "":
		res.Outcome = reason
	case res.ExitCode == 0:
		res.Outcome = api.OutcomeSucceeded
	default:
		res.Outcome = api.OutcomeFailed
		res.Error = luaError(at)
	}
	if res.Outcome == api.OutcomeSucceeded {
		collectResult(at, &res)
	}
	res.Transfers = strings.Join(at.transfers, "; ")
	if at.spec.Staging != nil && len(at.spec.Staging.Outputs) > 0 && at.startPush() {
		a.stageOut(at, &res)
		noResult = at.endPush()
	}
	return end(noResult)
}

// hold keeps a multi-node task's slot on one of its other nodes: it makes
// the work dir (and the nodes file) for the processes exec'd into it, runs
// nothing itself, and ends when stopped, once its execs are gone. Its
// outcome is the stop's (killed); it has no output of its own.
func (a *Agent) hold(at *attempt) api.TaskResult {
	res := api.TaskResult{TaskRef: at.ref, StartedAt: time.Now()}
	err := os.MkdirAll(at.dir, 0o700)
	if err == nil {
		err = writeNodesFile(at.spec, at.dir)
	}
	if err != nil {
		at.stop(api.OutcomeError, false)
		res.Error = fmt.Sprintf("cannot prepare the work dir of the hold: %v", err)
	}
	<-at.ctx.Done()
	at.waitExecs()
	reason, _ := at.exit()
	res.Outcome, res.ExitCode, res.FinishedAt = reason, -1, time.Now()
	return res
}

// prepare creates the working directory, pulls the inputs into it (a
// *stagingError if that fails) and creates the command, with stdout and
// stderr both on logFile (no copy goroutines). The task's script is
// written after the inputs, so an input cannot replace it.
func (a *Agent) prepare(at *attempt, logFile *os.File) (*exec.Cmd, error) {
	if err := os.MkdirAll(at.dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the task work dir: %w", err)
	}
	if at.spec.Staging != nil && len(at.spec.Staging.Inputs) > 0 {
		if err := a.stageIn(at, logFile); err != nil {
			return nil, err
		}
	}
	argv, err := a.argv(at.spec, at.dir)
	if err != nil {
		return nil, fmt.Errorf("cannot write the task script: %w", err)
	}
	if err := writeNodesFile(at.spec, at.dir); err != nil {
		return nil, fmt.Errorf("cannot write the nodes file: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = at.dir
	resEnv, err := resultEnv(at.spec, at.dir)
	if err != nil {
		return nil, fmt.Errorf("cannot write the parents' results: %w", err)
	}
	cmd.Env = append(a.env(at.spec), resEnv...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = taskSysProcAttr()
	return cmd, nil
}

// taskSysProcAttr puts a task in its own process group (pgid = its pid,
// so the whole group can be signalled) and has the kernel SIGKILL the group
// leader when the agent dies, even by SIGKILL.
//
// Pdeathsig caveats: the kernel sends it when the OS thread that forked the
// child exits, not the process. The Go runtime ends a thread only when a
// goroutine locked to it (runtime.LockOSThread) exits, and the agent never
// locks OS threads, so here it fires exactly when the agent process dies.
// It reaches the leader only (the leader's own children, and any process
// that left the group, live on), and exec of a set-user-ID or capability
// binary clears it. reapOrphans, at the next agent start, kills what it
// misses.
func taskSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// startCmd starts cmd, retrying a few times on ETXTBSY.
func startCmd(cmd *exec.Cmd) (*exec.Cmd, error) {
	for i := 0; ; i++ {
		err := cmd.Start()
		if err == nil || !errors.Is(err, syscall.ETXTBSY) || i == startRetries {
			return cmd, err
		}
		time.Sleep(time.Duration(i+1) * 2 * time.Millisecond)
		next := exec.Command(cmd.Args[0], cmd.Args[1:]...)
		next.Dir, next.Env, next.Stdout, next.Stderr, next.SysProcAttr = cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr, cmd.SysProcAttr
		cmd = next
	}
}

// exitCode is the process's exit code, or 128+signal if a signal ended it.
func exitCode(cmd *exec.Cmd, waitErr error) int {
	ps := cmd.ProcessState
	if ps == nil {
		if waitErr != nil {
			return -1
		}
		return 0
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
