package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/store"
)

// Holding a job back: depends_on_jobs (other jobs must FINISH first) and
// start_at (not before a time). A held job's ready tasks are kept out of
// the ready queue (gated) until the hold is over; then releaseJob queues
// them. Both survive a restart: the spec is stored, load gates the job
// again and re-arms the start_at timer, and the jobs it waits for are
// looked up again.

// held reports whether j's ready tasks must wait. Called with s.mu held.
func (j *jobState) held(now time.Time) bool {
	return len(j.waitJobs) > 0 || j.spec.StartAt != nil && j.spec.StartAt.After(now)
}

// holdReason says why j's tasks wait ("waiting for job 12 (RUNNING)",
// "starts at 2026-11-22T08:00:00Z"), "" when they do not. Called with
// s.mu held.
func (s *Server) holdReason(j *jobState, now time.Time) string {
	if len(j.waitJobs) > 0 {
		parts := make([]string, len(j.waitJobs))
		for i, id := range j.waitJobs {
			state := "not over"
			if dj := s.jobs[id]; dj != nil {
				state = dj.rec.State
			}
			parts[i] = fmt.Sprintf("job %d (%s)", id, state)
		}
		return "waiting for " + strings.Join(parts, ", ")
	}
	if j.spec.StartAt != nil && j.spec.StartAt.After(now) {
		return "starts at " + j.spec.StartAt.UTC().Format(time.RFC3339)
	}
	return ""
}

// checkJobDeps validates spec.DependsOnJobs for p: each job must exist and
// be visible to p, and be listed once. It returns the state each one has
// in the store (for jobs no longer in the index).
func (s *Server) checkJobDeps(ctx context.Context, p rest.Principal, spec api.JobSpec) (map[int64]api.JobState, error) {
	if len(spec.DependsOnJobs) == 0 {
		return nil, nil
	}
	known := make(map[int64]api.JobState, len(spec.DependsOnJobs))
	var errs []api.FieldError
	for i, id := range spec.DependsOnJobs {
		field := fmt.Sprintf("depends_on_jobs[%d]", i)
		if _, dup := known[id]; dup {
			errs = append(errs, api.FieldError{Field: field, Message: fmt.Sprintf("job %d is listed twice", id)})
			continue
		}
		rec, _, _, err := s.loadJob(ctx, p, id)
		var ae *api.Error
		switch {
		case err == nil:
			known[id] = api.JobState(rec.State)
		case errors.As(err, &ae) && (ae.Code == api.CodeNotFound || ae.Code == api.CodeForbidden):
			errs = append(errs, api.FieldError{Field: field, Message: fmt.Sprintf("job %d not found (it must exist and be yours)", id)})
		default:
			return nil, err
		}
	}
	if len(errs) > 0 {
		return nil, api.Invalid(errs)
	}
	return known, nil
}

// gateJob sets up j's hold before its ready tasks are first queued: the
// jobs of depends_on_jobs that are not over are waited for (known gives
// the stored state of those no longer in the index), a start_at in the
// future arms a timer. It returns the first job j depends on that ended
// other than FINISHED, and how (0 if none; the caller then ends j with
// depEnded once j is indexed), and the jobs waited for that are not in the index
// (a submission being committed, or a job that ended since known was
// read: the caller checks them again). Called with s.mu held.
func (s *Server) gateJob(j *jobState, known map[int64]api.JobState, now time.Time) (failed int64, failedState api.JobState, recheck []int64) {
	for _, id := range j.spec.DependsOnJobs {
		st, indexed := known[id], false
		if dj := s.jobs[id]; dj != nil {
			st, indexed = api.JobState(dj.rec.State), true
		}
		switch {
		case st == api.JobFinished:
			continue
		case st.Terminal() || st == "":
			if failed == 0 {
				failed, failedState = id, st
			}
		default:
			if !indexed {
				recheck = append(recheck, id)
			}
		}
		j.waitJobs = append(j.waitJobs, id)
		s.jobWaiters[id] = append(s.jobWaiters[id], j.rec.ID)
	}
	if at := j.spec.StartAt; at != nil && at.After(now) {
		time.AfterFunc(at.Sub(now), func() { s.startDue(j) })
	}
	return failed, failedState, recheck
}

// startDue releases j when its start_at is reached.
func (s *Server) startDue(j *jobState) {
	s.mu.Lock()
	woke := s.jobs[j.rec.ID] == j && s.releaseJob(j, s.now())
	s.mu.Unlock()
	if woke {
		s.kick()
	}
}

// releaseJob queues j's gated tasks once nothing holds it any more, and
// reports whether it queued any. Called with s.mu held.
func (s *Server) releaseJob(j *jobState, now time.Time) bool {
	if api.JobState(j.rec.State).Terminal() || j.held(now) {
		return false
	}
	queued := false
	for _, t := range j.tasks {
		if !t.gated {
			continue
		}
		t.gated, t.unplaced = false, nil
		if api.TaskState(t.rec.State) == api.TaskPending && s.enqueue(t, now) {
			queued = true
		}
	}
	return queued
}

// jobEnded tells the jobs waiting for job id that it ended in state.
// Called with s.mu held, from setJobState.
func (s *Server) jobEnded(id int64, state api.JobState, c *change) {
	waiters := s.jobWaiters[id]
	delete(s.jobWaiters, id)
	for _, wid := range waiters {
		if w := s.jobs[wid]; w != nil {
			s.depEnded(w, id, state, c)
		}
	}
}

// depEnded applies the end of job dep to w, which waits for it: FINISHED
// lifts that wait (and queues w's tasks when nothing else holds it); any
// other end skips w's pending tasks and ends w FAILED, or KILLED when dep
// was killed, so that jobs waiting for w end the same way. Called with
// s.mu held.
func (s *Server) depEnded(w *jobState, dep int64, state api.JobState, c *change) {
	i := slices.Index(w.waitJobs, dep)
	if i < 0 || api.JobState(w.rec.State).Terminal() {
		return
	}
	now := s.now()
	if state == api.JobFinished {
		w.waitJobs = slices.Delete(slices.Clip(w.waitJobs), i, i+1)
		if s.releaseJob(w, now) {
			c.wake = true
		}
		return
	}
	why := fmt.Sprintf("skipped: job %d it depends on ended %s", dep, state)
	if state == "" {
		why = fmt.Sprintf("skipped: job %d it depends on no longer exists", dep)
	}
	for _, t := range w.tasks {
		if api.TaskState(t.rec.State) != api.TaskPending {
			continue
		}
		s.ready.remove(t)
		t.gated = false
		t.rec.State, t.rec.Error, t.rec.FinishedAt = string(api.TaskSkipped), why, timePtr(now)
		c.task(t)
		c.taskEvent(t, why)
		w.dag.Set(t.rec.Index, api.TaskSkipped)
	}
	end := w.dag.JobState()
	if end.Terminal() {
		end = api.JobFailed
		if state == api.JobKilled {
			end = api.JobKilled
		}
	}
	s.setJobState(w, end, c)
}

// recheckDeps looks again, after j was submitted, at the jobs it waits for
// that were not in the index then: one that ended meanwhile is applied now.
func (s *Server) recheckDeps(ctx context.Context, j *jobState, ids []int64) {
	for _, id := range ids {
		rec, _, err := s.store.GetJob(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("depends_on_jobs: reading a job", "job", id, "err", err)
			continue
		}
		st := api.JobState(rec.State)
		if err == nil && !st.Terminal() {
			continue // it is being submitted: it ends through setJobState
		}
		var c change
		s.mu.Lock()
		if s.jobs[id] != nil {
			s.mu.Unlock()
			continue // indexed meanwhile: setJobState reports its end
		}
		delete(s.jobWaiters, id) // its end was reported before j waited for it
		s.depEnded(j, id, st, &c)
		s.seal(&c)
		s.mu.Unlock()
		_ = s.commitChange(&c)
	}
}
