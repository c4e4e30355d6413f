package resttest

import (
	"context"
	"slices"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// ScriptStates makes the next GetJob calls of job id move it through
// states, one per call; then it stays in the last one. Task states follow
// the job (see setState). The job need not exist yet: ids count from 1.
func (f *FakeBackend) ScriptStates(id int64, states ...api.JobState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[id] = append(f.scripts[id], states...)
}

// SubmitJob implements rest.Backend. The job's tasks start PENDING. Its
// selection scripts are checked (exactly one of lua and file, a known
// library file, the type); the warnings are those set by SetWarnings.
func (f *FakeBackend) SubmitJob(_ context.Context, p rest.Principal, spec api.JobSpec) (api.SubmitResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return api.SubmitResponse{}, f.fail
	}
	if f.sched.State == api.SchedulerStopped {
		return api.SubmitResponse{}, api.SchedulerStoppedError()
	}
	if errs := checkSelection(spec); len(errs) > 0 {
		return api.SubmitResponse{}, api.Invalid(errs)
	}
	if fe := f.queueErrorLocked(spec.Queue); fe != nil {
		return api.SubmitResponse{}, api.Invalid([]api.FieldError{*fe})
	}
	if spec.Queue == "" {
		spec.Queue = api.DefaultQueue
	}
	f.nextJob++
	job := api.Job{
		ID: f.nextJob, Name: spec.Name, State: api.JobPending, Owner: p.Name,
		Priority: spec.Priority, SubmittedAt: f.now, Variables: spec.Variables, Queue: spec.Queue,
	}
	for _, t := range spec.Tasks {
		if t.Replicate == nil {
			job.Tasks = append(job.Tasks, api.Task{Name: t.Name, State: api.TaskPending, DependsOn: t.DependsOn})
			continue
		}
		for i := range t.Replicate.Count { // an array's instances, as the server expands them
			job.Tasks = append(job.Tasks, api.Task{Name: api.InstanceName(t.Name, i), State: api.TaskPending,
				DependsOn: t.DependsOn, Replica: t.Replicate.Value(i)})
		}
	}
	f.jobs[job.ID] = &fakeJob{job: job, spec: spec, logs: map[string]*fakeLog{}}
	f.submitted = append(f.submitted, spec)
	return api.SubmitResponse{ID: job.ID, Warnings: f.warnings}, nil
}

// ListJobs implements rest.Backend: newest first, DefaultLimit per page.
func (f *FakeBackend) ListJobs(_ context.Context, p rest.Principal, q rest.JobQuery) (api.JobList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastQuery = q
	if f.fail != nil {
		return api.JobList{}, f.fail
	}
	owner := q.Owner
	if !p.IsAdmin() {
		owner = p.Name
	}
	var all []api.Job
	for _, j := range f.jobs {
		if (owner == "" || j.job.Owner == owner) && (len(q.States) == 0 || slices.Contains(q.States, j.job.State)) {
			all = append(all, listView(j.job))
		}
	}
	slices.SortFunc(all, func(a, b api.Job) int { return int(b.ID - a.ID) })
	limit := q.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	list := api.JobList{Total: len(all), Offset: q.Offset, Limit: limit}
	if q.Offset < len(all) {
		list.Jobs = all[q.Offset:min(len(all), q.Offset+limit)]
	}
	return list, nil
}

// listView is a job as listings show it: task counts instead of tasks.
func listView(j api.Job) api.Job {
	counts := map[api.TaskState]int{}
	for _, t := range j.Tasks {
		counts[t.State]++
	}
	j.Tasks, j.TaskCounts = nil, counts
	return j
}

// GetJob implements rest.Backend. Each call applies the next scripted state.
func (f *FakeBackend) GetJob(_ context.Context, p rest.Principal, id int64) (api.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.jobLocked(p, id)
	if err != nil {
		return api.Job{}, err
	}
	if script := f.scripts[id]; len(script) > 0 {
		setState(&j.job, script[0], f.now)
		f.scripts[id] = script[1:]
	}
	job := j.job
	job.Tasks = slices.Clone(j.job.Tasks)
	return job, nil
}

// GetJobSpec implements rest.Backend.
func (f *FakeBackend) GetJobSpec(_ context.Context, p rest.Principal, id int64) (api.JobSpec, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.jobLocked(p, id)
	if err != nil {
		return api.JobSpec{}, err
	}
	return j.spec, nil
}

// KillJob implements rest.Backend; killing a finished job is a conflict.
func (f *FakeBackend) KillJob(_ context.Context, p rest.Principal, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.jobLocked(p, id)
	if err != nil {
		return err
	}
	if j.job.State.Terminal() {
		return api.Errorf(api.CodeConflict, "job %d is already %s", id, j.job.State)
	}
	setState(&j.job, api.JobKilled, f.now)
	delete(f.scripts, id)
	return nil
}

// jobLocked finds a job the caller may see; others' jobs are not found.
func (f *FakeBackend) jobLocked(p rest.Principal, id int64) (*fakeJob, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	j, ok := f.jobs[id]
	if !ok || (!p.IsAdmin() && j.job.Owner != p.Name) {
		return nil, api.Errorf(api.CodeNotFound, "job %d not found", id)
	}
	return j, nil
}

// setState moves a job to st and its tasks along: RUNNING starts the first
// pending task, FINISHED finishes all, FAILED fails the last one and
// finishes the others, KILLED kills those not over.
func setState(j *api.Job, st api.JobState, now time.Time) {
	j.State = st
	if st.Terminal() {
		j.FinishedAt = &now
	}
	last := len(j.Tasks) - 1
	for i := range j.Tasks {
		t := &j.Tasks[i]
		switch {
		case st == api.JobRunning && t.State == api.TaskPending:
			t.State, t.Attempt = api.TaskRunning, 1
			return
		case st == api.JobFinished, st == api.JobFailed && i < last:
			t.State = api.TaskFinished
		case st == api.JobFailed:
			t.State = api.TaskFailed
		case st == api.JobKilled && !t.State.Terminal():
			t.State = api.TaskKilled
		}
	}
}
