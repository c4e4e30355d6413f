package api

import (
	"context"
	"net/http"
	"net/url"
)

// Queues lists the scheduler's queues with their state.
func (c *Client) Queues(ctx context.Context) ([]Queue, error) {
	var qs []Queue
	err := c.call(ctx, http.MethodGet, "/api/v1/queues", nil, nil, &qs)
	return qs, err
}

// Queue returns one queue with its state.
func (c *Client) Queue(ctx context.Context, name string) (Queue, error) {
	var q Queue
	err := c.call(ctx, http.MethodGet, "/api/v1/queues/"+url.PathEscape(name), nil, nil, &q)
	return q, err
}
