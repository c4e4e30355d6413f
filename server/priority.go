package server

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// maxPriority is the highest priority p may give a job: any for admins;
// for users normal, or the highest level priority_max_by_group gives any
// of their groups.
func (s *Server) maxPriority(p rest.Principal) api.Priority {
	if p.IsAdmin() {
		return api.PriorityHighest
	}
	top := api.PriorityNormal
	for _, g := range p.Groups {
		if name, ok := s.cfg.PriorityMaxByGroup[g]; ok {
			if v, err := api.ParsePriority(name); err == nil && v > top { // Validate checked the names
				top = v
			}
		}
	}
	return top
}

// checkPriority refuses a priority above what p may give a job, on the
// field "priority", naming the allowed maximum.
func (s *Server) checkPriority(p rest.Principal, pr api.Priority) error {
	if top := s.maxPriority(p); pr > top {
		return api.Invalid([]api.FieldError{{Field: "priority",
			Message: fmt.Sprintf("%s is above the highest priority you may use, %s (admins can raise it with the server's priority_max_by_group)", pr, top)}})
	}
	return nil
}

// SetJobPriority implements rest.Backend. The job's row and stored spec
// get the new level, so it survives a restart; the job's tasks are queued
// at it at once (running tasks go on, and queue at it if they are
// retried).
func (s *Server) SetJobPriority(ctx context.Context, p rest.Principal, id int64, pr api.Priority) (api.Job, error) {
	if err := s.changePriority(ctx, p, id, pr); err != nil {
		return api.Job{}, err
	}
	return s.GetJob(ctx, p, id)
}

// changePriority checks and applies a priority change: index, ready queue
// and the job's stored row, durable before it returns.
func (s *Server) changePriority(ctx context.Context, p rest.Principal, id int64, pr api.Priority) error {
	if pr < api.PriorityIdle || pr > api.PriorityHighest {
		return api.Invalid([]api.FieldError{{Field: "priority", Message: fmt.Sprintf("unknown priority %d", int(pr))}})
	}
	var c change
	s.mu.Lock()
	j := s.jobs[id]
	if j == nil || api.JobState(j.rec.State).Terminal() {
		s.mu.Unlock()
		return s.priorityUnindexed(ctx, p, id, pr)
	}
	if !visible(p, j.rec.Owner) {
		s.mu.Unlock()
		return jobNotFound(id)
	}
	if err := s.checkControl(p, id); err != nil {
		s.mu.Unlock()
		return err
	}
	if own := s.jobs[scopeJob(p)]; own != nil && pr > api.Priority(own.rec.Priority) {
		s.mu.Unlock()
		return api.Invalid([]api.FieldError{{Field: "priority", Message: fmt.Sprintf(
			"a job-scoped token may not raise a sub-job above its own job's priority (%s)", api.Priority(own.rec.Priority))}})
	}
	if err := s.checkPriority(p, pr); err != nil {
		s.mu.Unlock()
		return err
	}
	if api.Priority(j.rec.Priority) == pr {
		s.mu.Unlock()
		return nil
	}
	spec := j.spec
	spec.Priority = pr
	data, err := json.Marshal(spec)
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("encode job spec: %w", err)
	}
	j.spec.Priority, j.rec.Priority = pr, int(pr)
	for _, t := range j.tasks {
		t.qt.Priority = pr
	}
	s.ready.resort() // the job's queued tasks moved
	rec := j.rec
	rec.Spec = data
	c.m.Jobs = append(c.m.Jobs, rec) // the whole row: priority and spec
	c.jobEvent(j)
	c.logJob(id, "", 0, fmt.Sprintf("priority changed to %s by %s", pr, p.Name))
	c.wake = true
	s.seal(&c)
	s.mu.Unlock()
	s.log.Debug("job priority changed", "job", id, "priority", pr.String(), "by", p.Name)
	return s.commitChange(&c)
}

// priorityUnindexed answers for a job that is not in the index or is
// over: it does not exist for p, it is over, or its submission is being
// committed right now (then the change is retried briefly).
func (s *Server) priorityUnindexed(ctx context.Context, p rest.Principal, id int64, pr api.Priority) error {
	rec, _, _, err := s.loadJob(ctx, p, id)
	if err != nil {
		return err
	}
	if api.JobState(rec.State).Terminal() {
		return api.Errorf(api.CodeConflict, "job %d is already %s: its priority can no longer change", id, rec.State)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(50 * time.Millisecond):
	}
	return s.changePriority(ctx, p, id, pr)
}
