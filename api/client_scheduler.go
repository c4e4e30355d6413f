package api

import (
	"context"
	"net/http"
	"net/url"
)

// Scheduler returns the scheduler's state.
func (c *Client) Scheduler(ctx context.Context) (SchedulerStatus, error) {
	var st SchedulerStatus
	err := c.call(ctx, http.MethodGet, "/api/v1/scheduler", nil, nil, &st)
	return st, err
}

// SetScheduler changes the scheduler's state or runs an action (admins
// only) and returns the new state.
func (c *Client) SetScheduler(ctx context.Context, u SchedulerUpdate) (SchedulerStatus, error) {
	var st SchedulerStatus
	err := c.call(ctx, http.MethodPut, "/api/v1/scheduler", nil, jsonBody(u), &st)
	return st, err
}

// SchedulerStats counts jobs, tasks and nodes; with user set, also that
// user's jobs and tasks.
func (c *Client) SchedulerStats(ctx context.Context, user string) (SchedulerStats, error) {
	var q url.Values
	if user != "" {
		q = url.Values{"user": {user}}
	}
	var st SchedulerStats
	err := c.call(ctx, http.MethodGet, "/api/v1/scheduler/stats", q, nil, &st)
	return st, err
}
