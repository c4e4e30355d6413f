package resttest

import (
	"context"
	"fmt"
	"slices"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// SetJobPriority implements rest.Backend: users may go up to normal,
// admins any level; a job that is over is a conflict.
func (f *FakeBackend) SetJobPriority(_ context.Context, p rest.Principal, id int64, pr api.Priority) (api.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.jobLocked(p, id)
	if err != nil {
		return api.Job{}, err
	}
	if !p.IsAdmin() && pr > api.PriorityNormal {
		return api.Job{}, api.Invalid([]api.FieldError{{Field: "priority",
			Message: fmt.Sprintf("%s is above your maximum, %s", pr, api.PriorityNormal)}})
	}
	if j.job.State.Terminal() {
		return api.Job{}, api.Errorf(api.CodeConflict, "job %d is already %s", id, j.job.State)
	}
	j.job.Priority, j.spec.Priority = pr, pr
	job := j.job
	job.Tasks = slices.Clone(j.job.Tasks)
	return job, nil
}
