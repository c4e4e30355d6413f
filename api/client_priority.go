package api

import (
	"context"
	"net/http"
)

// PriorityUpdate is the body of `PUT /jobs/{id}/priority`.
type PriorityUpdate struct {
	Priority Priority `json:"priority"`
}

// SetJobPriority changes the priority of a pending or running job (its
// owner up to their allowed maximum, admins any) and returns the job as it
// is after the change. Tasks that have not started are queued at the new
// level at once.
func (c *Client) SetJobPriority(ctx context.Context, id int64, p Priority) (Job, error) {
	var job Job
	err := c.call(ctx, http.MethodPut, jobPath(id)+"/priority", nil, jsonBody(PriorityUpdate{Priority: p}), &job)
	return job, err
}
