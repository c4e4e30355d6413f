package resttest

import (
	"context"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// AppendLog adds output to attempt 1 of a task.
func (f *FakeBackend) AppendLog(jobID int64, task, data string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.logLocked(jobID, task)
	l.data = append(l.data, data...)
}

// EndLog marks a task's output complete: followers stop once they read it.
func (f *FakeBackend) EndLog(jobID int64, task string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logLocked(jobID, task).done = true
}

func (f *FakeBackend) logLocked(jobID int64, task string) *fakeLog {
	j := f.jobs[jobID]
	l, ok := j.logs[task]
	if !ok {
		l = &fakeLog{}
		j.logs[task] = l
	}
	return l
}

// TaskLog implements rest.Backend. Every task has one attempt, attempt 1.
func (f *FakeBackend) TaskLog(_ context.Context, p rest.Principal, jobID int64, task string, attempt int, offset int64, max int) (rest.LogPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logCalls++
	j, err := f.jobLocked(p, jobID)
	if err != nil {
		return rest.LogPage{}, err
	}
	known := false
	for _, t := range j.spec.Tasks {
		known = known || t.Name == task
	}
	if !known {
		return rest.LogPage{}, api.Errorf(api.CodeNotFound, "job %d has no task %q", jobID, task)
	}
	if attempt > 1 {
		return rest.LogPage{}, api.Errorf(api.CodeNotFound, "task %q has no attempt %d", task, attempt)
	}
	l := f.logLocked(jobID, task)
	size := int64(len(l.data))
	offset = min(offset, size)
	end := min(size, offset+int64(max))
	return rest.LogPage{
		Data:    append([]byte(nil), l.data[offset:end]...),
		Next:    end,
		Attempt: 1,
		Done:    l.done && end == size,
	}, nil
}
