package resttest

import (
	"context"
	"slices"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// PauseJob implements rest.Backend: a job that is over or already paused
// is a conflict.
func (f *FakeBackend) PauseJob(_ context.Context, p rest.Principal, id int64) (api.Job, error) {
	return f.control(p, id, false, func(j *fakeJob) error {
		if j.job.State == api.JobPaused {
			return api.Errorf(api.CodeConflict, "job %d is already paused", id)
		}
		j.job.State = api.JobPaused
		return nil
	})
}

// ResumeJob implements rest.Backend: only a paused job may be resumed.
func (f *FakeBackend) ResumeJob(_ context.Context, p rest.Principal, id int64) (api.Job, error) {
	return f.control(p, id, false, func(j *fakeJob) error {
		if j.job.State != api.JobPaused {
			return api.Errorf(api.CodeConflict, "job %d is not paused", id)
		}
		j.job.State = ""
		return nil
	})
}

// RestartFailed implements rest.Backend: FAILED and SKIPPED tasks become
// PENDING; a job without failed tasks is a conflict.
func (f *FakeBackend) RestartFailed(_ context.Context, p rest.Principal, id int64) (api.Job, error) {
	return f.control(p, id, true, func(j *fakeJob) error {
		n := 0
		for i := range j.job.Tasks {
			t := &j.job.Tasks[i]
			if t.State == api.TaskFailed || t.State == api.TaskSkipped {
				n += boolInt(t.State == api.TaskFailed)
				t.State, t.Error, t.ExitCode = api.TaskPending, "", nil
			}
		}
		if n == 0 {
			return api.Errorf(api.CodeConflict, "job %d has no failed task", id)
		}
		return nil
	})
}

// ControlTask implements rest.Backend by the rules of api.TaskAction,
// without the DAG: dependents are neither skipped nor released.
func (f *FakeBackend) ControlTask(_ context.Context, p rest.Principal, id int64, task string, action api.TaskAction, _ string) (api.Job, error) {
	from, to := map[api.TaskAction][]api.TaskState{
		api.TaskKill:    {api.TaskPending, api.TaskRunning},
		api.TaskRestart: {api.TaskFailed, api.TaskKilled},
		api.TaskPreempt: {api.TaskRunning},
		api.TaskFinish:  {api.TaskPending, api.TaskFailed, api.TaskKilled},
	}[action], map[api.TaskAction]api.TaskState{
		api.TaskKill: api.TaskKilled, api.TaskRestart: api.TaskPending,
		api.TaskPreempt: api.TaskPending, api.TaskFinish: api.TaskFinished,
	}[action]
	if from == nil {
		return api.Job{}, api.Errorf(api.CodeBadRequest, "unknown task action %q", action)
	}
	revive := action == api.TaskRestart || action == api.TaskFinish
	return f.control(p, id, revive, func(j *fakeJob) error {
		i := slices.IndexFunc(j.job.Tasks, func(t api.Task) bool { return t.Name == task })
		if i < 0 {
			return api.Errorf(api.CodeNotFound, "job %d has no task %q", id, task)
		}
		t := &j.job.Tasks[i]
		if !slices.Contains(from, t.State) {
			return api.Errorf(api.CodeConflict, "cannot %s task %s: it is %s", action, task, t.State)
		}
		t.State = to
		return nil
	})
}

// control applies do to a job the caller may see and sets the job's state
// from its tasks (a paused job stays paused). A job that is over is a
// conflict unless revive (the control may make it run again).
func (f *FakeBackend) control(p rest.Principal, id int64, revive bool, do func(*fakeJob) error) (api.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.jobLocked(p, id)
	if err != nil {
		return api.Job{}, err
	}
	if j.job.State.Terminal() && !revive {
		return api.Job{}, api.Errorf(api.CodeConflict, "job %d is already %s", id, j.job.State)
	}
	if err := do(j); err != nil {
		return api.Job{}, err
	}
	if j.job.State != api.JobPaused {
		j.job.State, j.job.FinishedAt = jobStateOf(j.job.Tasks), nil
		if j.job.State.Terminal() {
			j.job.FinishedAt = &f.now
		}
	}
	delete(f.scripts, id)
	job := j.job
	job.Tasks = slices.Clone(j.job.Tasks)
	return job, nil
}

// jobStateOf is a job's state from its tasks' states.
func jobStateOf(tasks []api.Task) api.JobState {
	count := map[api.TaskState]int{}
	for _, t := range tasks {
		count[t.State]++
	}
	over := count[api.TaskPending]+count[api.TaskRunning] == 0
	switch {
	case over && count[api.TaskFailed] > 0:
		return api.JobFailed
	case over && count[api.TaskKilled] > 0:
		return api.JobKilled
	case over:
		return api.JobFinished
	case count[api.TaskPending] < len(tasks):
		return api.JobRunning
	}
	return api.JobPending
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
