package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/store"
)

// Task results (docs/jobs.md, "Results"). The result of a task's finished
// attempt is stored (task_results) in the transaction that records the
// task's end, and dropped when the task is placed again.
//
// In memory, t.hasResult says whether a task has one, and t.result holds
// it while it may be needed without a store read: for a task with
// dependents, as long as its job is in the index (a dependent may start,
// or be restarted, at any time: startTask hands it the result); for
// others only until the write is durable, so that readers never miss a
// result the index already shows (they read the store for the rest).

// keepResult records the result of t's finished attempt. Called with s.mu
// held.
func (s *Server) keepResult(t *taskState, data json.RawMessage, c *change) {
	c.m.TaskResults = append(c.m.TaskResults, store.TaskResultRecord{TaskID: t.rec.ID, JobID: t.rec.JobID, Data: data})
	t.result, t.hasResult = data, true
	if !t.feeds {
		c.after = append(c.after, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if len(t.result) > 0 && &t.result[0] == &data[0] { // not replaced meanwhile
				t.result = nil
			}
		})
	}
}

// dropResult forgets t's result as it runs again. Called with s.mu held.
func (s *Server) dropResult(t *taskState, c *change) {
	if !t.hasResult {
		return
	}
	c.m.DeleteTaskResults = append(c.m.DeleteTaskResults, t.rec.ID)
	t.result, t.hasResult = nil, false
}

// restoreResults gives the tasks of indexed jobs their stored results:
// the flag, and the data where the task has dependents. Called with s.mu
// held (or before the server serves).
func (s *Server) restoreResults(results []store.TaskResultRecord) {
	for _, r := range results {
		t := s.tasks[r.TaskID]
		if t == nil {
			continue
		}
		t.hasResult = true
		if t.feeds {
			t.result = r.Data
		}
	}
}

// parentResults are the results of t's direct dependencies, by task name
// (nil when none has one). Called with s.mu held.
func parentResults(t *taskState) map[string]json.RawMessage {
	var out map[string]json.RawMessage
	for _, d := range t.deps {
		p := t.job.tasks[d]
		if p.result == nil {
			continue
		}
		if out == nil {
			out = make(map[string]json.RawMessage, len(t.deps))
		}
		out[p.rec.Name] = p.result
	}
	return out
}

// JobResults implements rest.Backend.
func (s *Server) JobResults(ctx context.Context, p rest.Principal, id int64) (api.JobResults, error) {
	out, _, err := s.results(ctx, p, id)
	return api.JobResults{Results: out}, err
}

// TaskResult implements rest.Backend.
func (s *Server) TaskResult(ctx context.Context, p rest.Principal, id int64, task string) (json.RawMessage, error) {
	out, tasks, err := s.results(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if r, ok := out[task]; ok {
		return r, nil
	}
	i := slices.IndexFunc(tasks, func(t store.TaskRecord) bool { return t.Name == task })
	if i < 0 {
		return nil, api.Errorf(api.CodeNotFound, "job %d has no task %q", id, task)
	}
	if st := api.TaskState(tasks[i].State); st != api.TaskFinished {
		return nil, api.Errorf(api.CodeNotFound, "task %s of job %d has no result: it is %s", task, id, st)
	}
	return nil, api.Errorf(api.CodeNotFound, "task %s of job %d has no result: it finished without one", task, id)
}

// results returns the results of job id's tasks by name, and its task
// rows: from memory where the index holds them, else from the store
// (loadJob answers callers that may not read the job).
func (s *Server) results(ctx context.Context, p rest.Principal, id int64) (map[string]json.RawMessage, []store.TaskRecord, error) {
	out := map[string]json.RawMessage{}
	s.mu.Lock()
	if j := s.jobs[id]; j != nil && visible(p, j.rec.Owner) && s.inScope(p, id) {
		tasks := make([]store.TaskRecord, len(j.tasks))
		stored := map[int64]string{} // results to read from the store
		for i, t := range j.tasks {
			tasks[i] = t.rec
			switch {
			case t.result != nil:
				out[t.rec.Name] = t.result
			case t.hasResult:
				stored[t.rec.ID] = t.rec.Name
			}
		}
		s.mu.Unlock()
		if len(stored) == 0 {
			return out, tasks, nil
		}
		recs, err := s.store.JobResults(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range recs {
			if name, ok := stored[r.TaskID]; ok {
				out[name] = r.Data
			}
		}
		return out, tasks, nil
	}
	s.mu.Unlock()
	_, _, tasks, err := s.loadJob(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	recs, err := s.store.JobResults(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(tasks))
	for _, t := range tasks {
		names[t.ID] = t.Name
	}
	for _, r := range recs {
		if name, ok := names[r.TaskID]; ok {
			out[name] = r.Data
		}
	}
	return out, tasks, nil
}

// markResults sets HasResult in the view of a job read from the store.
func (s *Server) markResults(ctx context.Context, view *api.Job, tasks []store.TaskRecord) error {
	ids, err := s.store.ResultTasks(ctx, view.ID)
	if err != nil || len(ids) == 0 {
		return err
	}
	has := make(map[int64]bool, len(ids))
	for _, id := range ids {
		has[id] = true
	}
	for i, t := range tasks {
		view.Tasks[i].HasResult = has[t.ID]
	}
	return nil
}

// MaxResultLimit is the largest result_limit: results travel in NATS
// messages (at most 8 MiB), a node's report and a dependent's start.
const MaxResultLimit = 4 << 20

// maxStartResults bounds the parents' results one start request carries,
// so that it stays within a NATS message.
const maxStartResults = 6 << 20

// startResultBytes is the size of the parents' results in st.
func startResultBytes(st api.StartTask) int {
	n := 0
	for _, r := range st.ParentResults {
		n += len(r)
	}
	return n
}

// splitStarts cuts a node's batch of starts into requests that carry at
// most maxStartResults of parents' results each; starts that carry more
// on their own come back in tooBig. The common batch, without results,
// is one part.
func splitStarts(batch []api.StartTask) (parts [][]api.StartTask, tooBig []api.StartTask) {
	var cur []api.StartTask
	size := 0
	for _, st := range batch {
		n := startResultBytes(st)
		switch {
		case n > maxStartResults:
			tooBig = append(tooBig, st)
			continue
		case len(cur) > 0 && size+n > maxStartResults:
			parts = append(parts, cur)
			cur, size = nil, 0
		}
		cur = append(cur, st)
		size += n
	}
	if len(cur) > 0 {
		parts = append(parts, cur)
	}
	return parts, tooBig
}

// refuseStarts ends attempts whose parents' results are too large to send
// as errors, the way a node's refusal would.
func (s *Server) refuseStarts(node string, starts []api.StartTask) {
	if len(starts) == 0 {
		return
	}
	now := s.now()
	results := make([]api.TaskResult, len(starts))
	for i, st := range starts {
		results[i] = api.TaskResult{TaskRef: st.TaskRef, Outcome: api.OutcomeError, ExitCode: -1,
			Error: fmt.Sprintf("the results of the tasks it depends on total %s, more than a start can carry (%s)",
				api.HumanBytes(int64(startResultBytes(st))), api.HumanBytes(maxStartResults)),
			StartedAt: now, FinishedAt: now}
	}
	s.applyResults(node, results)
}
