package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// JobResults returns the results of a job's tasks by task name
// (GET /api/v1/jobs/{id}/result); tasks without one are left out.
func (c *Client) JobResults(ctx context.Context, id int64) (map[string]json.RawMessage, error) {
	var out JobResults
	if err := c.call(ctx, http.MethodGet, jobPath(id)+"/result", nil, nil, &out); err != nil {
		return nil, err
	}
	if out.Results == nil {
		out.Results = map[string]json.RawMessage{}
	}
	return out.Results, nil
}

// TaskResult returns one task's result as JSON
// (GET /api/v1/jobs/{id}/tasks/{task}/result); an *Error with
// CodeNotFound when it has none.
func (c *Client) TaskResult(ctx context.Context, id int64, task string) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.call(ctx, http.MethodGet, jobPath(id)+"/tasks/"+url.PathEscape(task)+"/result", nil, nil, &out)
	return out, err
}

// ServerLogs returns the scheduler's account of a job, the lines with
// Seq > after (GET /api/v1/jobs/{id}/server-logs).
func (c *Client) ServerLogs(ctx context.Context, id int64, after int64) ([]ServerLogLine, error) {
	q := url.Values{}
	if after > 0 {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	var out ServerLog
	err := c.call(ctx, http.MethodGet, jobPath(id)+"/server-logs", q, nil, &out)
	return out.Lines, err
}
