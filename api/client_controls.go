package api

import (
	"context"
	"net/http"
	"net/url"
)

// PauseJob pauses a job: none of its tasks starts until it is resumed;
// running ones go on. It returns the job as it is after the change.
func (c *Client) PauseJob(ctx context.Context, id int64) (Job, error) {
	return c.jobControl(ctx, id, "pause")
}

// ResumeJob resumes a paused job.
func (c *Client) ResumeJob(ctx context.Context, id int64) (Job, error) {
	return c.jobControl(ctx, id, "resume")
}

// RestartFailed puts a job's FAILED tasks, and those SKIPPED because of
// them, back to PENDING with fresh attempt budgets.
func (c *Client) RestartFailed(ctx context.Context, id int64) (Job, error) {
	return c.jobControl(ctx, id, "restart-failed")
}

// ControlTask applies a control to one task of a job; reason (optional)
// goes into the task's events. It returns the job after the change.
func (c *Client) ControlTask(ctx context.Context, id int64, task string, action TaskAction, reason string) (Job, error) {
	var job Job
	var in *body
	if reason != "" {
		in = jsonBody(ControlRequest{Reason: reason})
	}
	path := jobPath(id) + "/tasks/" + url.PathEscape(task) + "/" + string(action)
	err := c.call(ctx, http.MethodPost, path, nil, in, &job)
	return job, err
}

func (c *Client) jobControl(ctx context.Context, id int64, action string) (Job, error) {
	var job Job
	err := c.call(ctx, http.MethodPost, jobPath(id)+"/"+action, nil, nil, &job)
	return job, err
}
