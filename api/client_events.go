package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// EventOverflow is the Kind of the last event of a stream whose reader
// fell too far behind; its Seq is the last event sent. On the wire
// (GET /api/v1/events) it is an SSE message of type "overflow".
const EventOverflow = "overflow"

// EventsRetry is how long Events waits before it reconnects after the
// stream broke.
const EventsRetry = time.Second

// Events follows the server's events (GET /api/v1/events): those with
// Seq > after, then new ones as they happen; jobID != 0 keeps one job's.
// It calls fn for each event in order, exactly once per Seq: when the
// stream breaks or the server says the client fell behind, it reconnects
// with Last-Event-ID and goes on. It returns fn's error, an API error the
// server answered (a job not found, an expired login), or ctx's error.
func (c *Client) Events(ctx context.Context, after uint64, jobID int64, fn func(Event) error) error {
	for {
		err := c.eventStream(ctx, &after, jobID, fn)
		var (
			apiErr *Error
			cbErr  callbackError
		)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &apiErr) && apiErr.Status != 0 && apiErr.Status < 500:
			return err
		case errors.As(err, &cbErr):
			return cbErr.err
		case errors.Is(err, errOverflow):
			continue // the server is fine: at once
		}
		// The stream broke or ended: reconnect after a pause.
		t := time.NewTimer(EventsRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// errOverflow says the server ended the stream because the client fell
// behind.
var errOverflow = errors.New("events: fell behind the server")

// callbackError wraps an error returned by the callback of Events.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// eventStream reads one connection's SSE stream, advancing *after past
// every event handed to fn.
func (c *Client) eventStream(ctx context.Context, after *uint64, jobID int64, fn func(Event) error) error {
	q := url.Values{}
	if jobID != 0 {
		q.Set("job", strconv.FormatInt(jobID, 10))
	}
	hdr := http.Header{}
	hdr.Set("Last-Event-ID", strconv.FormatUint(*after, 10))
	req, err := c.newRequest(ctx, http.MethodGet, "/api/v1/events", q, nil, hdr)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return readSSE(resp.Body, func(typ, data string) error {
		if typ == EventOverflow {
			return errOverflow
		}
		var e Event
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			return fmt.Errorf("reading an event: %w", err)
		}
		if e.Seq <= *after {
			return nil // already seen
		}
		if err := fn(e); err != nil {
			return callbackError{err}
		}
		*after = e.Seq
		return nil
	})
}

// readSSE reads Server-Sent Events from r and calls msg with each
// message's type ("" when none was given) and data, until r ends or msg
// fails. Comments and ids are skipped: the data carries the Seq.
func readSSE(r io.Reader, msg func(typ, data string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var typ, data strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if data.Len() > 0 || typ.Len() > 0 {
				if err := msg(typ.String(), data.String()); err != nil {
					return err
				}
			}
			typ.Reset()
			data.Reset()
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			typ.WriteString(value)
		case "data":
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(value)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.EOF
}
