package server

import (
	"fmt"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
)

// track tells the job's DAG that t's record changed state, and applies
// the consequences. Called with s.mu held, after t.rec.State was set.
func (s *Server) track(t *taskState, c *change) {
	s.applyTransitions(t.job, t.job.settle(t.job.dag.Set(t.rec.Index, api.TaskState(t.rec.State))), c)
}

// applyTransitions applies DAG consequences to j: newly ready tasks join
// the queue, tasks behind a failed dependency are skipped, and the job's
// own state follows. Called with s.mu held.
func (s *Server) applyTransitions(j *jobState, tr scheduler.Transitions, c *change) {
	if api.JobState(j.rec.State).Terminal() {
		return
	}
	now := s.now()
	for _, i := range tr.Skip {
		t := j.tasks[i]
		s.ready.remove(t)
		t.rec.State = string(api.TaskSkipped)
		t.rec.Error = "skipped: a task it depends on did not finish"
		t.rec.FinishedAt = timePtr(now)
		c.task(t)
		c.taskEvent(t, t.rec.Error)
	}
	for _, i := range tr.Ready {
		if s.enqueue(j.tasks[i], now) {
			c.wake = true
		}
	}
	s.setJobState(j, tr.JobState, c)
}

// setJobState records a job state change.
func (s *Server) setJobState(j *jobState, state api.JobState, c *change) {
	if api.JobState(j.rec.State) == state || j.paused() && !state.Terminal() {
		return // a paused job stays PAUSED until it is resumed or over
	}
	j.rec.State = string(state)
	if state.Terminal() {
		j.rec.FinishedAt = timePtr(s.now())
		c.retire = append(c.retire, j.rec.ID)
	}
	c.m.JobStates = append(c.m.JobStates, storeJobState(j))
	c.jobEvent(j)
	c.logJob(j.rec.ID, "", 0, "job "+string(state))
	if state.Terminal() {
		s.jobEnded(j.rec.ID, state, c)
	}
}

// endAttempt applies the result of a task attempt: the retry policy picks
// the task's next state, then the job is reconciled.
func (s *Server) endAttempt(t *taskState, r api.TaskResult, c *change) {
	s.ready.remove(t)
	exit := r.ExitCode
	t.rec.ExitCode = &exit
	if !r.StartedAt.IsZero() {
		t.rec.StartedAt = timePtr(r.StartedAt)
	}
	t.rec.FinishedAt = timePtr(r.FinishedAt)
	dec := scheduler.Retry(scheduler.Attempt{
		Outcome: r.Outcome, Failures: t.rec.Failures, NodeLosses: t.rec.NodeLosses,
		MaxAttempts: t.spec.MaxAttempts, ExitCode: r.ExitCode, Error: r.Error,
		RetryDelay:         time.Duration(t.spec.RetryDelay),
		ExponentialBackoff: t.spec.RetryBackoff == api.BackoffExponential,
	})
	if dec.State == api.TaskFinished && len(r.Result) > 0 {
		s.keepResult(t, r.Result, c)
	}
	s.applyRetry(t, dec, c)
}

// loseAttempt hands back an attempt whose node was lost. It does not count
// against max_attempts, only against the node-loss budget.
func (s *Server) loseAttempt(t *taskState, c *change, reason string) {
	dec := scheduler.Retry(scheduler.Attempt{
		NodeLost: true, Failures: t.rec.Failures, NodeLosses: t.rec.NodeLosses, MaxAttempts: t.spec.MaxAttempts,
	})
	if reason != "" {
		dec.Reason = reason + "; " + dec.Reason
	}
	t.rec.FinishedAt = timePtr(s.now())
	s.applyRetry(t, dec, c)
}

// applyRetry moves t to the state the retry policy decided, with the
// task's failure handling: a retry waits out its delay and may avoid the
// node it failed on; a task that failed for good applies on_task_error
// (suspend_task: it goes IN_ERROR instead of FAILED).
func (s *Server) applyRetry(t *taskState, dec scheduler.RetryDecision, c *change) {
	s.noteFailure(t, dec)
	if dec.State == api.TaskFailed && t.spec.OnTaskError == api.OnErrorSuspendTask {
		// Not over: the task, its dependents and the job wait for a user
		// to restart or kill it.
		dec.State = api.TaskInError
		dec.Reason += "; suspended (on_task_error: suspend_task) until restarted or killed"
	}
	t.rec.State = string(dec.State)
	t.rec.Failures = dec.Failures
	t.rec.NodeLosses = dec.NodeLosses
	if dec.State == api.TaskFinished {
		t.rec.Error = ""
	} else {
		t.rec.Error = dec.Reason
	}
	if dec.State == api.TaskPending {
		t.rec.Node = ""
	}
	c.task(t)
	c.taskEvent(t, dec.Reason)
	s.track(t, c)
	if dec.State == api.TaskFailed {
		s.onTaskError(t, c)
	}
}

// startTask builds the node's start message for t's current attempt.
func (s *Server) startTask(t *taskState) api.StartTask {
	spec, job := t.spec, t.job
	env := make(map[string]string, len(job.spec.Variables)+len(spec.Env))
	for k, v := range job.spec.Variables {
		env[k] = v
	}
	for k, v := range spec.Env {
		env[k] = v
	}
	job.replicaEnv(t.rec.Index, env)
	return api.StartTask{
		TaskRef: t.ref(), JobName: job.spec.Name,
		Command: spec.Command, Script: spec.Script, Lua: spec.Lua, Env: env,
		Walltime: spec.Walltime, KillGrace: api.Duration(s.cfg.KillGrace),
		Staging: s.staging(t),
		APIURL:  s.apiURL(), APIToken: s.taskToken(t),
		ParentResults: parentResults(t), ResultLimit: s.cfg.ResultLimit,
	}
}

func taskLabel(t *taskState) string { return fmt.Sprintf("job %d task %s", t.rec.JobID, t.rec.Name) }
