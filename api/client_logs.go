package api

import (
	"context"
	"io"
	"time"
)

// HeaderAttempt is the response header of GET .../logs naming the attempt
// whose output it is (the latest one when none was asked for).
const HeaderAttempt = "X-Shrike-Attempt"

// TrailerLogDone is the response trailer of GET .../logs without follow:
// "true" when the attempt is over and all its output was sent, else
// "false".
const TrailerLogDone = "X-Shrike-Done"

// LogFollowPoll is how long a followed task log waits for more output when
// no event of its job comes: output arrives without events, so this is how
// late a line can show.
var LogFollowPoll = 500 * time.Millisecond

// logRead is what one GET of a task's output told.
type logRead struct {
	n         int64 // bytes copied
	attempt   int   // the attempt read (HeaderAttempt), 0 if not said
	done      bool  // the attempt is over and all its output was sent
	knowsDone bool  // the server sent TrailerLogDone (older ones do not)
}

// followTaskLog copies a task's output to w until its attempt is over and
// all of it was read: it reads what exists, then waits for the job's next
// event (GET /api/v1/events?job=ID: a task that ends, starts, is
// killed...) or LogFollowPoll, whichever comes first, and reads again
// from where it stopped. It stays on the attempt the first read resolved.
// A server without the done trailer follows the rest itself (follow=true).
func (c *Client) followTaskLog(ctx context.Context, jobID int64, task string, opts LogOptions, w io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the event stream
	wake := make(chan struct{}, 1)
	refused := make(chan error, 1)
	go func() { refused <- c.followJobEvents(ctx, jobID, wake) }()
	next := LogOptions{Attempt: opts.Attempt, Offset: opts.Offset}
	for {
		read, err := c.readTaskLog(ctx, jobID, task, next, w)
		if err != nil {
			return err
		}
		next.Offset += read.n
		if next.Attempt == 0 {
			next.Attempt = read.attempt
		}
		if read.done {
			return nil
		}
		if !read.knowsDone {
			next.Follow = true
			_, err := c.readTaskLog(ctx, jobID, task, next, w)
			return err
		}
		t := time.NewTimer(LogFollowPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-wake:
		case <-refused:
			refused = nil // no event stream: the timer alone paces the reads
		case <-t.C:
		}
		t.Stop()
	}
}
