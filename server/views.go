package server

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/scheduler"
	"github.com/shrike-grid/shrike/store"
)

// jobNotFound is also the answer for another user's job, so that job ids
// reveal nothing about other users' work.
func jobNotFound(id int64) error { return api.Errorf(api.CodeNotFound, "job %d not found", id) }

func visible(p rest.Principal, owner string) bool { return p.IsAdmin() || p.Name == owner }

// jobView renders a job from its row, spec and task rows (all of them:
// fillTasks).
func jobView(rec store.JobRecord, spec api.JobSpec, tasks []store.TaskRecord) api.Job {
	j := api.Job{
		ID: rec.ID, Name: rec.Name, State: api.JobState(rec.State), Owner: rec.Owner,
		Priority: api.Priority(rec.Priority), SubmittedAt: rec.SubmittedAt, FinishedAt: rec.FinishedAt,
		Variables: spec.Variables, Tasks: make([]api.Task, len(tasks)), Queue: queueOf(&spec),
		Parent: rec.Parent, DependsOnJobs: spec.DependsOnJobs, StartAt: spec.StartAt,
	}
	lay := &jobState{spec: spec, starts: layoutOf(&spec)}
	total := lay.starts[len(lay.starts)-1]
	for i, t := range tasks {
		j.Tasks[i] = api.Task{
			Name: t.Name, State: api.TaskState(t.State), Attempt: t.Attempt, Node: t.Node,
			ExitCode: t.ExitCode, Error: t.Error, StartedAt: t.StartedAt, FinishedAt: t.FinishedAt,
		}
		if t.Index >= 0 && t.Index < total {
			k, _ := lay.template(t.Index)
			j.Tasks[i].DependsOn = spec.Tasks[k].DependsOn
			j.Tasks[i].Replica = lay.replica(t.Index)
		}
	}
	return j
}

// loadJob returns a job's row, spec and tasks from the index, or else from
// the store; others' jobs are not found for non-admins, and a job-scoped
// caller is refused jobs outside its tree.
func (s *Server) loadJob(ctx context.Context, p rest.Principal, id int64) (store.JobRecord, api.JobSpec, []store.TaskRecord, error) {
	s.mu.Lock()
	if j := s.jobs[id]; j != nil {
		rec, spec := j.rec, j.spec
		tasks := make([]store.TaskRecord, len(j.tasks))
		for i, t := range j.tasks {
			tasks[i] = t.rec
		}
		s.mu.Unlock()
		if !visible(p, rec.Owner) {
			return rec, spec, nil, jobNotFound(id)
		}
		if !s.inScope(p, id) {
			return rec, spec, nil, errScopeRead(p)
		}
		return rec, spec, tasks, nil
	}
	s.mu.Unlock()
	rec, tasks, err := s.store.GetJob(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !visible(p, rec.Owner)) {
		return rec, api.JobSpec{}, nil, jobNotFound(id)
	}
	if err != nil {
		return rec, api.JobSpec{}, nil, err
	}
	if !s.inScope(p, id) {
		return rec, api.JobSpec{}, nil, errScopeRead(p)
	}
	var spec api.JobSpec
	if err := json.Unmarshal(rec.Spec, &spec); err != nil {
		return rec, spec, nil, err
	}
	if tasks, err = fillTasks(rec, &spec, layoutOf(&spec), tasks); err != nil {
		return rec, spec, nil, err
	}
	return rec, spec, tasks, nil
}

// GetJob implements rest.Backend. A job in the index also shows, for each
// waiting task, why the last cycle placed it nowhere. Only the copy of its
// records is made under s.mu: the view of a job of 100,000 instances is
// built after, without holding up the scheduler. (A task's unplaced
// reasons are replaced, never changed in place, so they are safe to read
// after.)
func (s *Server) GetJob(ctx context.Context, p rest.Principal, id int64) (api.Job, error) {
	s.mu.Lock()
	if j := s.jobs[id]; j != nil && visible(p, j.rec.Owner) && s.inScope(p, id) {
		rec, spec := j.rec, j.spec
		tasks := make([]store.TaskRecord, len(j.tasks))
		waiting := make([][]scheduler.Reason, len(j.tasks))
		hasResult := make([]bool, len(j.tasks))
		nodes := make([][]string, len(j.tasks))
		for i, t := range j.tasks {
			tasks[i] = t.rec
			hasResult[i] = t.hasResult
			if len(t.rec.Others) > 0 && api.TaskState(t.rec.State) == api.TaskRunning {
				nodes[i] = t.slotNodes()
			}
			if t.queued || !t.retryAt.IsZero() { // waiting for a node or for its retry delay
				waiting[i] = t.unplaced
			}
		}
		// A held job's ready tasks wait for it (depends_on_jobs, start_at).
		hold := s.holdReason(j, s.now())
		var gated []int
		if hold != "" {
			for i, t := range j.tasks {
				if t.gated && api.TaskState(t.rec.State) == api.TaskPending {
					gated = append(gated, i)
				}
			}
		}
		s.mu.Unlock()
		view := jobView(rec, spec, tasks)
		for i, rs := range waiting {
			view.Tasks[i].HasResult, view.Tasks[i].Nodes = hasResult[i], nodes[i]
			for _, r := range rs {
				view.Tasks[i].WaitingReasons = append(view.Tasks[i].WaitingReasons, api.Reason{Count: r.Count, Message: r.Message})
			}
		}
		for _, i := range gated {
			view.Tasks[i].WaitingReasons = []api.Reason{{Message: hold}}
		}
		view.Children = s.tree.childrenOf(id)
		return view, nil
	}
	s.mu.Unlock()
	rec, spec, tasks, err := s.loadJob(ctx, p, id)
	if err != nil {
		return api.Job{}, err
	}
	view := jobView(rec, spec, tasks)
	if err := s.markResults(ctx, &view, tasks); err != nil {
		return api.Job{}, err
	}
	view.Children = s.tree.childrenOf(id)
	return view, nil
}

// GetJobSpec implements rest.Backend.
func (s *Server) GetJobSpec(ctx context.Context, p rest.Principal, id int64) (api.JobSpec, error) {
	_, spec, _, err := s.loadJob(ctx, p, id)
	return spec, err
}

// ListJobs implements rest.Backend: from the store, newest first.
func (s *Server) ListJobs(ctx context.Context, p rest.Principal, q rest.JobQuery) (api.JobList, error) {
	sq := store.JobQuery{Owner: q.Owner, Offset: q.Offset, Limit: q.Limit, Parent: q.Parent}
	if !p.IsAdmin() {
		sq.Owner = p.Name
	}
	if p.Scope != nil {
		sq.IDs = s.scopeTree(p) // its own job and those below it only
	}
	if sq.Limit <= 0 {
		sq.Limit = 50
	}
	for _, st := range q.States {
		sq.States = append(sq.States, string(st))
	}
	recs, total, err := s.store.ListJobs(ctx, sq)
	if err != nil {
		return api.JobList{}, err
	}
	ids := make([]int64, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	counts, err := s.store.TaskCounts(ctx, ids)
	if err != nil {
		return api.JobList{}, err
	}
	out := api.JobList{Jobs: make([]api.Job, len(recs)), Total: total, Offset: sq.Offset, Limit: sq.Limit}
	for i, r := range recs {
		j := api.Job{ID: r.ID, Name: r.Name, State: api.JobState(r.State), Owner: r.Owner,
			Priority: api.Priority(r.Priority), SubmittedAt: r.SubmittedAt, FinishedAt: r.FinishedAt,
			TaskCounts: make(map[api.TaskState]int), Parent: r.Parent}
		for st, n := range counts[r.ID] {
			j.TaskCounts[api.TaskState(st)] = n
		}
		out.Jobs[i] = j
	}
	return out, nil
}

// ListNodes implements rest.Backend.
func (s *Server) ListNodes(_ context.Context, _ rest.Principal) ([]api.Node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nodes := s.reg.Nodes()
	out := make([]api.Node, len(nodes))
	for i, n := range nodes {
		out[i] = n.View()
	}
	return out, nil
}
