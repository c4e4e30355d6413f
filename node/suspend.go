package node

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// suspendTasks stops (SIGSTOP) or continues (SIGCONT) the process groups
// of every running attempt, pausing or resuming their walltime clocks.
// The node stays suspended until resumed: attempts started meanwhile start
// stopped. Repeats are harmless (the signals are sent again). Accepted
// lists the attempts signalled; Error reports the signals that failed.
func (a *Agent) suspendTasks(req api.SuspendRequest) api.CommandReply {
	a.mu.Lock()
	a.suspended = !req.Resume
	atts := make([]*attempt, 0, len(a.running))
	for _, at := range a.running {
		atts = append(atts, at)
	}
	a.mu.Unlock()

	verb := "suspending"
	if req.Resume {
		verb = "resuming"
	}
	a.log.Info(verb+" tasks", "count", len(atts), "reason", req.Reason)
	var reply api.CommandReply
	var errs []error
	for _, at := range atts {
		var ok bool
		var err error
		if req.Resume {
			ok, err = at.resume()
		} else {
			ok, err = at.suspend(time.Now())
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("task %d attempt %d: %w", at.ref.TaskID, at.ref.Attempt, err))
		}
		if ok {
			reply.Accepted = append(reply.Accepted, at.ref)
		}
	}
	if err := errors.Join(errs...); err != nil {
		a.log.Warn(verb+" tasks failed", "err", err)
		reply.Error = api.Errorf(api.CodeInternal, "%s tasks: %v", verb, err)
	}
	return reply
}

// isSuspended reports whether the node's tasks are suspended.
func (a *Agent) isSuspended() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.suspended
}

// activeAttempts is the number of attempts that may be using CPU: those
// running, none while the node is suspended.
func (a *Agent) activeAttempts() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.suspended {
		return 0
	}
	return len(a.running)
}

// suspend stops the attempt's process group and pauses its walltime
// clock. An attempt that has ended or is being stopped is left alone
// (ok false); one that has not started yet starts stopped.
func (at *attempt) suspend(now time.Time) (ok bool, err error) {
	at.mu.Lock()
	defer at.mu.Unlock()
	if at.exited || at.reason != "" {
		return false, nil
	}
	if !at.suspended {
		at.suspended = true
		if at.wallTimer != nil && at.wallTimer.Stop() {
			at.wallLeft = max(at.wallEnd.Sub(now), 0)
			at.wallTimer = nil
		}
		// A timer that already fired is stopping the attempt: its stop
		// waits for at.mu and then continues the group to terminate it.
	}
	return true, at.signalLocked(syscall.SIGSTOP)
}

// resume continues the attempt's process group and its walltime clock.
func (at *attempt) resume() (ok bool, err error) {
	at.mu.Lock()
	defer at.mu.Unlock()
	if at.exited || at.reason != "" {
		return false, nil
	}
	if at.suspended {
		at.suspended = false
		if at.hasWalltime && at.wallTimer == nil {
			at.armWalltimeLocked()
		}
	}
	return true, at.signalLocked(syscall.SIGCONT)
}
