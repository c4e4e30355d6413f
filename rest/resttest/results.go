package resttest

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// SetResult gives a task of a job its result (JSON) and sets HasResult in
// the job's view.
func (f *FakeBackend) SetResult(jobID int64, task string, result string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.jobs[jobID]
	if j.results == nil {
		j.results = map[string]json.RawMessage{}
	}
	j.results[task] = json.RawMessage(result)
	for i := range j.job.Tasks {
		if j.job.Tasks[i].Name == task {
			j.job.Tasks[i].HasResult = true
		}
	}
}

// AddServerLog appends a line to a job's server log; Seq counts from 1.
func (f *FakeBackend) AddServerLog(jobID int64, task string, attempt int, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j := f.jobs[jobID]
	j.serverLog = append(j.serverLog, api.ServerLogLine{
		Seq: int64(len(j.serverLog) + 1), Time: f.now, Task: task, Attempt: attempt, Message: msg,
	})
}

// JobResults implements rest.Backend.
func (f *FakeBackend) JobResults(_ context.Context, p rest.Principal, id int64) (api.JobResults, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.jobLocked(p, id)
	if err != nil {
		return api.JobResults{}, err
	}
	return api.JobResults{Results: maps.Clone(j.results)}, nil
}

// TaskResult implements rest.Backend.
func (f *FakeBackend) TaskResult(_ context.Context, p rest.Principal, id int64, task string) (json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.jobLocked(p, id)
	if err != nil {
		return nil, err
	}
	if r, ok := j.results[task]; ok {
		return r, nil
	}
	if !slices.ContainsFunc(j.spec.Tasks, func(t api.TaskSpec) bool { return t.Name == task }) {
		return nil, api.Errorf(api.CodeNotFound, "job %d has no task %q", id, task)
	}
	return nil, api.Errorf(api.CodeNotFound, "task %s of job %d has no result", task, id)
}

// JobServerLogs implements rest.Backend.
func (f *FakeBackend) JobServerLogs(_ context.Context, p rest.Principal, id int64, after int64) ([]api.ServerLogLine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.jobLocked(p, id)
	if err != nil {
		return nil, err
	}
	var out []api.ServerLogLine
	for _, l := range j.serverLog {
		if l.Seq > after {
			out = append(out, l)
		}
	}
	return out, nil
}
