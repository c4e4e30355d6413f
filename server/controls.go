package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/scheduler"
	"github.com/shrike-grid/shrike/store"
)

// reasonJobPaused is the waiting reason of the queued tasks of a paused job.
const reasonJobPaused = "job is paused"

// paused reports whether the job is paused: its state is PAUSED (stored,
// so a restart keeps it) while its tasks' states say where it stands.
func (j *jobState) paused() bool { return api.JobState(j.rec.State) == api.JobPaused }

// unpausedHead returns up to n queued tasks from the head of the queue,
// leaving out those of paused jobs: they are held with the reason "job is
// paused" and do not count against n, so the queue is read further (up to
// 8n tasks). Called with s.mu held.
func (s *Server) unpausedHead(n int) []*taskState {
	held := []scheduler.Reason{{Count: 0, Message: reasonJobPaused}}
	for want := n; ; want *= 2 {
		head := s.ready.head(want)
		kept := head[:0]
		for _, t := range head {
			if t.job.paused() {
				t.unplaced = held
				continue
			}
			kept = append(kept, t)
		}
		if len(kept) >= n || len(head) < want || want >= 8*n {
			return kept[:min(len(kept), n)]
		}
	}
}

// PauseJob implements rest.Backend.
func (s *Server) PauseJob(ctx context.Context, p rest.Principal, id int64) (api.Job, error) {
	return s.controlJob(ctx, p, id, false, func(j *jobState, c *change) error {
		if j.paused() {
			return api.Errorf(api.CodeConflict, "job %d is already paused", id)
		}
		j.rec.State = string(api.JobPaused)
		c.m.JobStates = append(c.m.JobStates, storeJobState(j))
		c.jobEvent(j)
		c.logJob(id, "", 0, "paused by "+p.Name)
		return nil
	})
}

// ResumeJob implements rest.Backend: the job's state is again what its
// tasks say, and its ready tasks compete for nodes at once.
func (s *Server) ResumeJob(ctx context.Context, p rest.Principal, id int64) (api.Job, error) {
	return s.controlJob(ctx, p, id, false, func(j *jobState, c *change) error {
		if !j.paused() {
			return api.Errorf(api.CodeConflict, "job %d is not paused (it is %s)", id, j.rec.State)
		}
		c.logJob(id, "", 0, "resumed by "+p.Name)
		j.rec.State = "" // setJobState records the state the DAG says
		s.setJobState(j, j.dag.JobState(), c)
		c.wake = true
		return nil
	})
}

// RestartFailed implements rest.Backend.
func (s *Server) RestartFailed(ctx context.Context, p rest.Principal, id int64) (api.Job, error) {
	return s.controlJob(ctx, p, id, true, func(j *jobState, c *change) error {
		to := map[int]api.TaskState{}
		for i, t := range j.tasks {
			if st := api.TaskState(t.rec.State); st == api.TaskFailed || st == api.TaskInError {
				to[i] = api.TaskPending
			}
		}
		if len(to) == 0 {
			return api.Errorf(api.CodeConflict, "job %d has no FAILED or IN_ERROR task to restart", id)
		}
		s.resetTasks(j, to, "restarted by "+p.Name, c)
		return nil
	})
}

// taskActionFrom lists the task states each action applies to.
var taskActionFrom = map[api.TaskAction][]api.TaskState{
	api.TaskKill:    {api.TaskPending, api.TaskRunning, api.TaskInError},
	api.TaskRestart: {api.TaskFailed, api.TaskKilled, api.TaskInError},
	api.TaskPreempt: {api.TaskRunning},
	api.TaskFinish:  {api.TaskPending, api.TaskFailed, api.TaskKilled, api.TaskInError},
}

// ControlTask implements rest.Backend. Restart and finish may bring a job
// that is over back to life; kill and preempt need a job that is not.
func (s *Server) ControlTask(ctx context.Context, p rest.Principal, id int64, task string, action api.TaskAction, reason string) (api.Job, error) {
	from, ok := taskActionFrom[action]
	if !ok {
		return api.Job{}, api.Errorf(api.CodeBadRequest, "unknown task action %q", action)
	}
	why := func(verb string) string {
		if reason == "" {
			return verb + " by " + p.Name
		}
		return verb + " by " + p.Name + ": " + reason
	}
	revive := action == api.TaskRestart || action == api.TaskFinish
	return s.controlJob(ctx, p, id, revive, func(j *jobState, c *change) error {
		i := slices.IndexFunc(j.tasks, func(t *taskState) bool { return t.rec.Name == task })
		if i < 0 {
			return api.Errorf(api.CodeNotFound, "job %d has no task %q", id, task)
		}
		t := j.tasks[i]
		if st := api.TaskState(t.rec.State); !slices.Contains(from, st) {
			return api.Errorf(api.CodeConflict, "cannot %s task %s of job %d: it is %s (%s applies to %s)",
				action, task, id, st, action, joinStates(from))
		}
		switch action {
		case api.TaskKill:
			s.killTask(t, why("killed"), c)
		case api.TaskPreempt:
			c.kill(t.rec.Node, t.ref())
			s.requeueAttempt(t, why("preempted"), c)
		case api.TaskRestart:
			s.resetTasks(j, map[int]api.TaskState{i: api.TaskPending}, why("restarted"), c)
		case api.TaskFinish:
			s.resetTasks(j, map[int]api.TaskState{i: api.TaskFinished}, why("marked finished"), c)
		}
		return nil
	})
}

// killTask kills one PENDING or RUNNING task the way KillJob kills a job's
// (a running attempt keeps its reservation until its node confirms); the
// DAG skips its dependents. Called with s.mu held.
func (s *Server) killTask(t *taskState, why string, c *change) {
	if api.TaskState(t.rec.State) == api.TaskRunning {
		c.kill(t.rec.Node, t.ref())
	}
	s.ready.remove(t)
	t.rec.State = string(api.TaskKilled)
	t.rec.Error = why
	t.rec.FinishedAt = timePtr(s.now())
	c.task(t)
	c.taskEvent(t, why)
	s.track(t, c)
}

// resetTasks moves the tasks in to (by index) to their new states — PENDING
// with a fresh attempt budget, or FINISHED — and un-skips the SKIPPED tasks
// that nothing blocks any more. The DAG cannot un-skip (a SKIPPED task
// stays SKIPPED), so it is rebuilt from the new states: a trial build with
// every SKIPPED task PENDING says which of them are still blocked; the
// others become PENDING. A job that was over runs again. Called with s.mu
// held.
func (s *Server) resetTasks(j *jobState, to map[int]api.TaskState, why string, c *change) {
	trial := make([]api.TaskState, len(j.tasks), len(j.tasks)+len(j.spec.Tasks))
	for i, t := range j.tasks {
		trial[i] = api.TaskState(t.rec.State)
		if st, ok := to[i]; ok {
			trial[i] = st
		} else if trial[i] == api.TaskSkipped {
			trial[i] = api.TaskPending
		}
	}
	tr := j.newDAG(trial)
	still := make(map[int]bool, len(tr.Skip))
	for _, i := range tr.Skip {
		still[i] = true
	}
	now := s.now()
	for i, t := range j.tasks {
		st, ok := to[i]
		info := why
		if !ok && api.TaskState(t.rec.State) == api.TaskSkipped && !still[i] {
			st, ok, info = api.TaskPending, true, "no longer skipped: "+why
		}
		if !ok {
			continue
		}
		s.ready.remove(t)
		t.rec.State, t.rec.Error = string(st), ""
		if st == api.TaskPending {
			t.rec.Failures, t.rec.NodeLosses = 0, 0
			t.rec.Node, t.rec.ExitCode = "", nil
			t.rec.StartedAt, t.rec.FinishedAt, t.rec.DispatchedAt = nil, nil, nil
		} else {
			t.rec.FinishedAt = timePtr(now)
		}
		c.task(t)
		c.taskEvent(t, info)
	}
	tr.Skip = nil // still SKIPPED in their records
	if api.JobState(j.rec.State).Terminal() {
		j.rec.State, j.rec.FinishedAt = "", nil // over no more: setJobState records the new state
	}
	s.applyTransitions(j, tr, c)
}

// controlJob runs do on job id in the index, with s.mu held, commits what
// it changed and returns the job after the change. Others' jobs are not
// found. A job that is over is a conflict unless revive: then it is put
// back in the index for do (and dropped again if do fails).
func (s *Server) controlJob(ctx context.Context, p rest.Principal, id int64, revive bool, do func(*jobState, *change) error) (api.Job, error) {
	for range 100 {
		s.mu.Lock()
		j := s.jobs[id]
		if j == nil {
			s.mu.Unlock()
			rec, tasks, err := s.store.GetJob(ctx, id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && !visible(p, rec.Owner)) {
				return api.Job{}, jobNotFound(id)
			}
			if err != nil {
				return api.Job{}, fmt.Errorf("job %d: %w", id, err)
			}
			if !api.JobState(rec.State).Terminal() {
				// Its submission is being committed right now: retry.
				select {
				case <-ctx.Done():
					return api.Job{}, ctx.Err()
				case <-time.After(20 * time.Millisecond):
				}
				continue
			}
			if !revive {
				return api.Job{}, api.Errorf(api.CodeConflict, "job %d is already %s", id, rec.State)
			}
			results, err := s.store.JobResults(ctx, id)
			if err != nil {
				return api.Job{}, fmt.Errorf("job %d: %w", id, err)
			}
			s.mu.Lock()
			if s.jobs[id] != nil {
				s.mu.Unlock()
				continue // revived meanwhile
			}
			if j, _, err = newJobState(rec, tasks); err != nil {
				s.mu.Unlock()
				return api.Job{}, err
			}
			s.jobs[id] = j
			for _, t := range j.tasks {
				s.tasks[t.rec.ID] = t
			}
			s.restoreResults(results)
		}
		if !visible(p, j.rec.Owner) {
			s.retireJob(id) // if it was revived for this call
			s.mu.Unlock()
			return api.Job{}, jobNotFound(id)
		}
		if err := s.checkControl(p, id); err != nil {
			s.retireJob(id)
			s.mu.Unlock()
			return api.Job{}, err
		}
		if st := api.JobState(j.rec.State); st.Terminal() && !revive {
			s.mu.Unlock()
			return api.Job{}, api.Errorf(api.CodeConflict, "job %d is already %s", id, st)
		}
		var c change
		if err := do(j, &c); err != nil {
			s.retireJob(id) // only if it is (still) over
			s.mu.Unlock()
			return api.Job{}, err
		}
		s.seal(&c)
		s.mu.Unlock()
		if err := s.commitChange(&c); err != nil {
			return api.Job{}, err
		}
		return s.GetJob(ctx, p, id)
	}
	return api.Job{}, api.Errorf(api.CodeConflict, "job %d is changing; try again", id)
}

// joinStates writes states as "A, B or C".
func joinStates(states []api.TaskState) string {
	out := ""
	for i, st := range states {
		switch {
		case i == 0:
		case i == len(states)-1:
			out += " or "
		default:
			out += ", "
		}
		out += string(st)
	}
	return out
}
