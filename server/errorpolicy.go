package server

import (
	"fmt"
	"slices"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
)

// Failure handling of a task (its spec's retry_delay, retry_elsewhere and
// on_task_error). The end of the delay and the nodes to avoid are kept in
// the task's row (RetryAt, Avoid), so they survive a server restart.

// noteFailure records what a failed attempt means for t's next one, before
// t takes its new state: with retry_elsewhere the node it failed on is
// avoided from now on; with a delay the retry waits (enqueue). Called with
// s.mu held.
func (s *Server) noteFailure(t *taskState, dec scheduler.RetryDecision) {
	if dec.Failures <= t.rec.Failures || dec.State != api.TaskPending {
		return // not a counted failure that is retried
	}
	if node := t.rec.Node; t.spec.RetryElsewhere && node != "" && !slices.Contains(t.qt.AvoidNodes, node) {
		// A fresh array: snapshots being scheduled may share the old one.
		t.qt.AvoidNodes = append(slices.Clip(t.qt.AvoidNodes), node)
		t.rec.Avoid = t.qt.AvoidNodes
	}
	if dec.Delay > 0 {
		t.setRetryAt(s.now().Add(dec.Delay))
	}
}

// setRetryAt sets when t's retry delay ends (zero: it has none), in
// memory and in the row the next write of t stores.
func (t *taskState) setRetryAt(at time.Time) {
	t.retryAt, t.rec.RetryAt = at, nil
	if !at.IsZero() {
		t.rec.RetryAt = timePtr(at)
	}
}

// enqueue puts a ready task in the queue, unless a failed attempt's
// retry_delay has not run out: then it waits outside the queue, with the
// reason "retrying at HH:MM:SS", and a timer queues it when the delay is
// over. A task restarted by hand (no failures) forgets its delay and the
// nodes it avoided. It reports whether the task was queued. Called with
// s.mu held.
func (s *Server) enqueue(t *taskState, now time.Time) bool {
	if t.job.held(now) {
		t.gated = true // releaseJob queues it
		return false
	}
	if t.rec.Failures == 0 {
		t.setRetryAt(time.Time{})
		t.qt.AvoidNodes, t.rec.Avoid = nil, nil
	}
	at := t.retryAt
	if !at.After(now) {
		t.setRetryAt(time.Time{})
		s.ready.push(t)
		return true
	}
	t.unplaced = []scheduler.Reason{{Count: 0, Message: "retrying at " + at.Format(time.TimeOnly)}}
	time.AfterFunc(at.Sub(now), func() { s.retryDue(t, at) })
	return false
}

// retryDue queues t when the retry delay that ends at at is over, if t
// still waits for it (it was not killed, restarted or its job ended).
func (s *Server) retryDue(t *taskState, at time.Time) {
	s.mu.Lock()
	waiting := t.retryAt.Equal(at) && api.TaskState(t.rec.State) == api.TaskPending &&
		s.jobs[t.job.rec.ID] == t.job && !api.JobState(t.job.rec.State).Terminal()
	if waiting {
		t.setRetryAt(time.Time{})
		t.unplaced = nil
		s.ready.push(t)
	}
	s.mu.Unlock()
	if waiting {
		s.kick()
	}
}

// onTaskError applies t's on_task_error after it failed for good:
// cancel_job kills the rest of the job (which then FAILED), pause_job
// pauses it so that a user can look and resume or restart it; continue
// (the default) leaves the DAG's verdict: dependents skipped, the rest
// going on. Called with s.mu held, after t's failure was tracked.
func (s *Server) onTaskError(t *taskState, c *change) {
	j := t.job
	if api.JobState(j.rec.State).Terminal() {
		return // nothing left to cancel or pause
	}
	switch t.spec.OnTaskError {
	case api.OnErrorCancelJob:
		why := fmt.Sprintf("killed: task %s failed (on_task_error: cancel_job)", t.rec.Name)
		c.logJob(j.rec.ID, "", 0, fmt.Sprintf("cancelling the job: task %s failed (on_task_error: cancel_job)", t.rec.Name))
		s.killJobTasks(j, why, c)
		s.setJobState(j, j.dag.JobState(), c)
	case api.OnErrorPauseJob:
		if j.paused() {
			return
		}
		j.rec.State = string(api.JobPaused)
		c.m.JobStates = append(c.m.JobStates, storeJobState(j))
		c.jobEvent(j)
		c.logJob(j.rec.ID, "", 0, fmt.Sprintf("paused: task %s failed (on_task_error: pause_job)", t.rec.Name))
	}
}
