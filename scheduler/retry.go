package scheduler

import (
	"fmt"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// Retry decides what follows the end of an attempt.
//
//   - The node was lost (NodeLost): the task runs again (PENDING) while it
//     has lost its node at most api.MaxNodeLosses times; a node loss does
//     not count against MaxAttempts. One more loss fails it.
//   - succeeded: FINISHED. killed: KILLED, never retried.
//   - failed, walltime, error (could not start): the failure counts; the
//     task runs again while fewer than MaxAttempts attempts failed, else it
//     FAILED. A MaxAttempts below 1 counts as 1. A task that runs again
//     waits RetryDelay first (Delay), doubled per earlier failure with
//     ExponentialBackoff and capped at MaxRetryDelay.
//
// Reason explains the decision in words for events and the task's error.
func Retry(a Attempt) RetryDecision {
	d := RetryDecision{Failures: a.Failures, NodeLosses: a.NodeLosses}
	switch {
	case a.NodeLost:
		d.NodeLosses++
		if d.NodeLosses <= api.MaxNodeLosses {
			d.State = api.TaskPending
			d.Reason = fmt.Sprintf("lost its node; retrying (node loss %d of %d allowed)", d.NodeLosses, api.MaxNodeLosses)
		} else {
			d.State = api.TaskFailed
			d.Reason = fmt.Sprintf("lost its node %d times", d.NodeLosses)
		}
	case a.Outcome == api.OutcomeSucceeded:
		d.State = api.TaskFinished
	case a.Outcome == api.OutcomeKilled:
		d.State, d.Reason = api.TaskKilled, withDetail("killed", a.Error)
	default:
		d.Failures++
		d.State, d.Reason = failure(a, d.Failures)
		if d.State == api.TaskPending {
			d.Delay = retryDelay(a, d.Failures)
		}
	}
	return d
}

// MaxRetryDelay caps the wait before a retry, exponential backoff
// included.
const MaxRetryDelay = time.Hour

// retryDelay is the wait after the failures-th failure.
func retryDelay(a Attempt, failures int) time.Duration {
	d := a.RetryDelay
	if d <= 0 {
		return 0
	}
	if a.ExponentialBackoff {
		for i := 1; i < failures && d < MaxRetryDelay; i++ {
			d *= 2
		}
	}
	return min(d, MaxRetryDelay)
}

// failure decides after the failures-th failed attempt.
func failure(a Attempt, failures int) (api.TaskState, string) {
	maxAttempts := max(a.MaxAttempts, 1)
	cause := failureCause(a)
	switch {
	case failures < maxAttempts:
		return api.TaskPending, fmt.Sprintf("%s; retrying (attempt %d of %d)", cause, failures+1, maxAttempts)
	case maxAttempts == 1:
		return api.TaskFailed, cause
	}
	return api.TaskFailed, fmt.Sprintf("%s; gave up after %d attempts", cause, failures)
}

// failureCause says in words why an attempt failed.
func failureCause(a Attempt) string {
	switch a.Outcome {
	case api.OutcomeFailed:
		if a.ExitCode != 0 {
			return withDetail(fmt.Sprintf("exit code %d", a.ExitCode), a.Error)
		}
		return withDetail("failed", a.Error)
	case api.OutcomeWalltime:
		return "walltime exceeded"
	case api.OutcomeError:
		return withDetail("could not start", a.Error)
	}
	return fmt.Sprintf("unknown outcome %q", a.Outcome)
}

// withDetail appends the node's error text, when there is one.
func withDetail(s, detail string) string {
	if detail == "" {
		return s
	}
	return s + ": " + detail
}
