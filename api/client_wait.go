package api

import (
	"context"
	"errors"
	"time"
)

// DefaultWaitResync is how often WaitJobEvents re-reads the job while it
// follows the job's events, when given no interval.
const DefaultWaitResync = 30 * time.Second

// WaitOptions tunes WaitJobEvents.
type WaitOptions struct {
	// Poll is how often to ask for the job when the server has no event
	// stream; DefaultWaitPoll if 0.
	Poll time.Duration
	// Resync is how often to ask for the job anyway while following its
	// events, in case the stream stays silent (a buffering proxy, say);
	// DefaultWaitResync if 0.
	Resync time.Duration
}

// WaitJobEvents waits until job id is terminal and returns it, like
// WaitJob, but wakes on the job's events (GET /api/v1/events?job=ID)
// instead of asking every poll: it reads the job once, then again after
// each burst of events, and every opts.Resync. A server that refuses the
// stream (an older one answers 404) makes it poll every opts.Poll like
// WaitJob. progress, if not nil, sees every state read; when ctx ends
// first, WaitJobEvents returns the last state seen and ctx.Err().
func (c *Client) WaitJobEvents(ctx context.Context, id int64, opts WaitOptions, progress func(Job)) (Job, error) {
	poll, every := opts.Poll, opts.Resync
	if poll <= 0 {
		poll = DefaultWaitPoll
	}
	if every <= 0 {
		every = DefaultWaitResync
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the event stream
	wake := make(chan struct{}, 1)
	refused := make(chan error, 1)
	following := false
	var last Job
	for {
		if done, err := c.readJob(ctx, id, &last, progress); done || err != nil {
			return last, err
		}
		if !following {
			// From Seq 0: events since the GetJob above are not missed.
			following = true
			go func() { refused <- c.followJobEvents(ctx, id, wake) }()
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, ctx.Err()
		case <-wake:
		case <-refused:
			every = poll // no event stream: poll from now on
		case <-t.C:
		}
		t.Stop()
	}
}

// followJobEvents signals wake (without blocking: bursts coalesce) on
// each event of job id, and when the stream broke, so that the waiter
// reads the job, until ctx ends. It reconnects without losing events;
// it returns the error of a server that answers the stream with an
// error status, or ctx's error.
func (c *Client) followJobEvents(ctx context.Context, id int64, wake chan<- struct{}) error {
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var after uint64
	for {
		err := c.eventStream(ctx, &after, id, func(Event) error {
			poke()
			return nil
		})
		var apiErr *Error
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &apiErr) && apiErr.Status != 0:
			return err
		case errors.Is(err, errOverflow):
			continue // the server is fine: at once
		}
		// The stream broke: the waiter reads the job now (and fails, as
		// a polling one would, if the server is gone); reconnect later.
		poke()
		t := time.NewTimer(EventsRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
