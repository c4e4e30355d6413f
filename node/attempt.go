package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// attempt is one task attempt on this node, from admission to its result.
//
// Signals go to the attempt's process group (pgid = the leader's pid). The
// group is signalled only until the leader has been reaped plus once right
// after (SIGKILL, to leave no orphan); while any member lives the kernel
// does not reuse the group id, so that last signal cannot reach a stranger
// unless the group is already empty and its id was recycled in the
// microseconds between — an accepted, documented race.
//
// A suspended attempt's group is stopped (SIGSTOP) and its walltime clock
// is paused: the timer is disarmed and the time left kept, to be armed
// again on resume, so the deadline moves by the time spent suspended.
//
// An attempt with staging has two more phases around its process: inputs
// are pulled before it starts and outputs pushed after its leader has been
// reaped (pushing). A stop in either phase cancels ctx, which aborts the
// transfers; a stop while the process runs signals it instead, and the
// outputs are pushed after it ends.
//
// A hold (the other nodes of a multi-node task, api.StartTask.Hold) has no
// process of its own: it keeps its slot until stopped. Processes exec'd
// into an attempt (exec.go), a hold's or a running one's, each lead a
// process group of their own (so that one can be killed alone) and are
// signalled with the attempt's: stop, suspend, resume and the final
// SIGKILL reach them all.
type attempt struct {
	// transfers summarises the staged files, for the result.
	transfers []string
	spec      api.StartTask
	ref       api.TaskRef
	dir       string // working directory: the attempt's scratch
	logPath   string
	grace     time.Duration
	hold      bool // no process of its own: a multi-node task's slot on another node
	// logDone is set once the attempt's output is complete, before its
	// result enters the outbox: a fetch from then on reports EOF even
	// though the attempt is still in Agent.running for a moment.
	logDone atomic.Bool

	// ctx bounds the attempt's file transfers; cancel is called by a stop
	// while no process runs, and when the attempt ends.
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	pgid      int                  // 0 until the process has started
	execs     map[string]*execProc // processes exec'd into the attempt, by exec id
	exited    bool                 // the leader has been reaped
	pushing   bool                 // the outputs are being pushed (after exited)
	reason    api.Outcome          // killed or walltime once asked to stop, else ""
	noResult  bool                 // end without a result (agent shutdown)
	killTimer *time.Timer          // SIGKILL after the grace period

	suspended   bool          // stopped by a suspend, or to be stopped as it starts
	hasWalltime bool          // the attempt has a walltime and its clock was started
	wallLeft    time.Duration // walltime left, while the clock is paused
	wallEnd     time.Time     // when the walltime ends, while the clock runs
	wallTimer   *time.Timer   // nil while the clock is paused
}

// stop asks the attempt to end with the given outcome: SIGTERM to its
// process group now, SIGKILL after the grace period. The first reason
// wins. noResult (agent shutdown) suppresses the result whatever the
// reason. An attempt that has not started yet will not start, and its
// input transfers are aborted; a stop while the outputs are pushed aborts
// the push.
func (at *attempt) stop(reason api.Outcome, noResult bool) {
	at.mu.Lock()
	defer at.mu.Unlock()
	if at.exited && !at.pushing {
		return // too late: the attempt ended by itself and keeps its result
	}
	if noResult {
		at.noResult = true
	}
	if at.exited { // pushing the outputs
		if at.reason == "" {
			at.reason = reason
		}
		at.cancel()
		return
	}
	if at.reason != "" {
		return
	}
	at.reason = reason
	switch {
	case at.hold:
		at.terminateLocked()
		at.cancel() // ends the hold once its execs are gone
	case at.pgid != 0:
		at.terminateLocked()
	default:
		at.cancel() // staging the inputs, or not started yet
	}
}

// started records the process group and starts the walltime clock (if
// walltime > 0). A suspend or stop requested before the start takes
// effect now.
func (at *attempt) started(pid int, walltime time.Duration) {
	at.mu.Lock()
	defer at.mu.Unlock()
	at.pgid = pid
	if at.suspended {
		_ = syscall.Kill(-pid, syscall.SIGSTOP)
	}
	if walltime > 0 {
		at.hasWalltime = true
		at.wallLeft = walltime
		if !at.suspended {
			at.armWalltimeLocked()
		}
	}
	if at.reason != "" {
		at.terminateLocked()
	}
}

// armWalltimeLocked starts the walltime clock with the time left.
func (at *attempt) armWalltimeLocked() {
	at.wallEnd = time.Now().Add(at.wallLeft)
	at.wallTimer = time.AfterFunc(at.wallLeft, func() { at.stop(api.OutcomeWalltime, false) })
}

// stopRequested returns the reason a stop was asked for, or "".
func (at *attempt) stopRequested() api.Outcome {
	at.mu.Lock()
	defer at.mu.Unlock()
	return at.reason
}

// terminateLocked sends SIGTERM to the groups (the attempt's and its
// execs'), then SIGCONT if they are suspended so that they can act on it,
// and arms the SIGKILL timer.
func (at *attempt) terminateLocked() {
	at.signalLocked(syscall.SIGTERM)
	if at.suspended {
		at.signalLocked(syscall.SIGCONT)
		at.suspended = false
	}
	at.killTimer = time.AfterFunc(at.grace, func() {
		at.mu.Lock()
		defer at.mu.Unlock()
		if !at.exited {
			at.signalLocked(syscall.SIGKILL)
		}
	})
}

// signalLocked sends sig to the attempt's process group, if its process
// has started, and to the group of each exec still running. A group that
// is already gone is not an error; the first other error is returned.
func (at *attempt) signalLocked(sig syscall.Signal) error {
	var first error
	kill := func(pgid int) {
		if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) && first == nil {
			first = fmt.Errorf("%v to process group %d: %w", sig, pgid, err)
		}
	}
	if at.pgid != 0 {
		kill(at.pgid)
	}
	for _, ep := range at.execs {
		if !ep.reaped {
			kill(ep.pgid)
		}
	}
	return first
}

// exit records that the leader has been reaped, kills whatever is left of
// its process group, and returns the stop reason and whether a result is
// wanted.
func (at *attempt) exit() (reason api.Outcome, noResult bool) {
	at.mu.Lock()
	at.exited = true
	if at.killTimer != nil {
		at.killTimer.Stop()
	}
	if at.wallTimer != nil {
		at.wallTimer.Stop()
	}
	// Whatever is left of the groups goes with the attempt.
	_ = at.signalLocked(syscall.SIGKILL)
	reason, noResult = at.reason, at.noResult
	at.mu.Unlock()
	return reason, noResult
}

// startPush marks the attempt as pushing its outputs, unless the agent is
// stopping (no result wanted), in which case it returns false. Call it
// after exit.
func (at *attempt) startPush() bool {
	at.mu.Lock()
	defer at.mu.Unlock()
	if at.noResult {
		return false
	}
	at.pushing = true
	return true
}

// endPush marks the push as over and returns whether the result is no
// longer wanted (the agent began stopping meanwhile).
func (at *attempt) endPush() (noResult bool) {
	at.mu.Lock()
	defer at.mu.Unlock()
	at.pushing = false
	return at.noResult
}

// wantsResult reports whether the attempt should be reported.
func (at *attempt) wantsResult() bool {
	at.mu.Lock()
	defer at.mu.Unlock()
	return !at.noResult
}
