package dataspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// errStalled ends a transfer that moved no byte for the stall timeout.
var errStalled = errors.New("transfer stalled")

func (c *Client) stallTimeout() time.Duration {
	if c.StallTimeout > 0 {
		return c.StallTimeout
	}
	return 2 * time.Minute
}

// watchdog cancels a transfer's context when no byte moved for d; every
// Read through it (or kick) proves progress.
type watchdog struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	d      time.Duration
}

// newWatchdog derives the context of one transfer; it is not armed until
// start.
func newWatchdog(ctx context.Context, d time.Duration) *watchdog {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watchdog{ctx: ctx, cancel: cancel, d: d}
	w.timer = time.AfterFunc(time.Hour, func() { cancel(errStalled) })
	w.timer.Stop()
	return w
}

func (w *watchdog) start() { w.timer.Reset(w.d) }
func (w *watchdog) pause() { w.timer.Stop() }

func (w *watchdog) stop() {
	w.timer.Stop()
	w.cancel(nil)
}

// err explains err when it was the watchdog that ended the transfer.
func (w *watchdog) err(err error) error {
	if err != nil && errors.Is(context.Cause(w.ctx), errStalled) {
		return fmt.Errorf("%w: no data moved for %s (%w)", errStalled, w.d, err)
	}
	return err
}

// reader proves progress on every read of r; with pauseAtEOF the
// watchdog stops once r is drained (an upload's body is sent and the
// server may take its time to answer).
func (w *watchdog) reader(r io.Reader, pauseAtEOF bool) io.Reader {
	return &watchedReader{r: r, w: w, pauseAtEOF: pauseAtEOF}
}

type watchedReader struct {
	r          io.Reader
	w          *watchdog
	pauseAtEOF bool
}

func (r *watchedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err == io.EOF && r.pauseAtEOF {
		r.w.pause()
	} else {
		r.w.timer.Reset(r.w.d)
	}
	return n, err
}
