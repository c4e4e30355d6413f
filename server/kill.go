package server

import (
	"context"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// KillJob implements rest.Backend. Pending tasks are killed at once;
// running attempts are marked KILLED and stopped on their nodes, keeping
// their reservations until the nodes confirm. Every job below it (its
// sub-jobs, to any depth) is killed in the same change.
func (s *Server) KillJob(ctx context.Context, p rest.Principal, id int64) error {
	var c change
	s.mu.Lock()
	j := s.jobs[id]
	if j == nil {
		s.mu.Unlock()
		return s.killUnindexed(ctx, p, id)
	}
	if !visible(p, j.rec.Owner) {
		s.mu.Unlock()
		return jobNotFound(id)
	}
	if !s.inScope(p, id) {
		s.mu.Unlock()
		return errScopeRead(p)
	}
	c.logJob(id, "", 0, "killed by "+p.Name)
	s.killJobTasks(j, "killed by "+p.Name, &c)
	s.setJobState(j, api.JobKilled, &c)
	s.killDescendants(id, &c)
	s.seal(&c)
	s.mu.Unlock()
	return s.commitChange(&c)
}

// killJobTasks kills j's PENDING, IN_ERROR and RUNNING tasks: pending ones at once,
// running ones marked KILLED and stopped on their nodes, keeping their
// reservations until the nodes confirm. The caller sets the job's state.
// Called with s.mu held.
func (s *Server) killJobTasks(j *jobState, why string, c *change) {
	now := s.now()
	for _, t := range j.tasks {
		switch api.TaskState(t.rec.State) {
		case api.TaskPending, api.TaskInError:
			s.ready.remove(t)
		case api.TaskRunning:
			c.kill(t.rec.Node, t.ref())
		default:
			continue
		}
		t.rec.State = string(api.TaskKilled)
		t.rec.Error = why
		t.rec.FinishedAt = timePtr(now)
		c.task(t)
		c.taskEvent(t, t.rec.Error)
		j.dag.Set(t.rec.Index, api.TaskKilled) // the job is over whatever follows
	}
}

// killUnindexed answers a kill for a job that is not in the index: either
// it is over, it does not exist, or its submission is being committed
// right now (then the kill is retried briefly).
func (s *Server) killUnindexed(ctx context.Context, p rest.Principal, id int64) error {
	rec, _, _, err := s.loadJob(ctx, p, id)
	if err != nil {
		return err
	}
	if api.JobState(rec.State).Terminal() {
		// Over, but its sub-jobs may not be: they are killed.
		var c change
		s.mu.Lock()
		n := s.killDescendants(id, &c)
		if n > 0 {
			s.seal(&c)
		}
		s.mu.Unlock()
		if n > 0 {
			return s.commitChange(&c)
		}
		return api.Errorf(api.CodeConflict, "job %d is already %s", id, rec.State)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(50 * time.Millisecond):
	}
	return s.KillJob(ctx, p, id)
}
