package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/store"
)

// eventBuffer is how many events a stream holds for a slow reader before
// it is ended with an overflow.
const eventBuffer = 1024

// Events implements rest.Backend with an ordered JetStream consumer of the
// EVENTS stream, starting at after+1: it replays what is stored and goes
// on with new events live, and the stream sequence is each event's Seq.
func (s *Server) Events(ctx context.Context, p rest.Principal, after uint64, jobID int64) (<-chan api.Event, error) {
	if jobID != 0 {
		if _, _, _, err := s.loadJob(ctx, p, jobID); err != nil {
			return nil, err
		}
	}
	js, err := s.nc.JetStream()
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	f := &eventFeed{
		s: s, ctx: ctx, p: p, job: jobID, last: after,
		out: make(chan api.Event, eventBuffer+1), done: make(chan struct{}),
		mine: make(map[int64]bool),
	}
	f.mu.Lock() // the handler waits until f.sub is set
	f.sub, err = js.Subscribe(api.SubjectEvents+".>", f.deliver,
		nats.OrderedConsumer(), nats.StartSequence(after+1))
	f.mu.Unlock()
	if err != nil {
		if errors.Is(err, nats.ErrNoMatchingStream) || errors.Is(err, nats.ErrStreamNotFound) {
			return nil, api.Errorf(api.CodeUnavailable, "the event history is not available")
		}
		return nil, fmt.Errorf("events: %w", err)
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-f.done:
		}
		f.mu.Lock()
		f.stop()
		f.mu.Unlock()
	}()
	return f.out, nil
}

// eventFeed is one caller's stream of events.
type eventFeed struct {
	s    *Server
	ctx  context.Context
	p    rest.Principal
	job  int64
	out  chan api.Event // eventBuffer events, plus room for the overflow
	done chan struct{}  // closed by stop

	mu     sync.Mutex // guards everything below
	sub    *nats.Subscription
	last   uint64         // Seq of the last event put in out
	mine   map[int64]bool // job ID → whether p may see it
	closed bool
}

// deliver is the consumer's handler: it keeps the events the caller may
// see, with their Seq, and ends the feed when the caller fell behind.
func (f *eventFeed) deliver(m *nats.Msg) {
	meta, err := m.Metadata()
	if err != nil {
		return
	}
	var e api.Event
	if err := json.Unmarshal(m.Data, &e); err != nil {
		return
	}
	e.Seq = meta.Sequence.Stream
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || e.Seq <= f.last || !f.wants(e) {
		return
	}
	if len(f.out) >= eventBuffer {
		// One sender: the slot kept for the overflow is free.
		f.out <- api.Event{Kind: api.EventOverflow, Seq: f.last, Time: f.s.now()}
		f.stop()
		return
	}
	f.out <- e
	f.last = e.Seq
}

// wants reports whether e belongs in the feed. Called with f.mu held.
func (f *eventFeed) wants(e api.Event) bool {
	if f.job != 0 {
		return e.JobID == f.job
	}
	if f.p.Scope != nil {
		// A job-scoped caller sees its tree's events only (not nodes').
		return e.JobID != 0 && f.s.inScope(f.p, e.JobID)
	}
	if e.JobID == 0 || f.p.IsAdmin() {
		return true // node events are for every user
	}
	ok, known := f.mine[e.JobID]
	if !known {
		ok = f.s.jobOwner(f.ctx, e.JobID) == f.p.Name
		f.mine[e.JobID] = ok
	}
	return ok
}

// stop ends the feed once. Called with f.mu held.
func (f *eventFeed) stop() {
	if f.closed {
		return
	}
	f.closed = true
	if f.sub != nil {
		_ = f.sub.Unsubscribe()
	}
	close(f.out)
	close(f.done)
}

// jobOwner returns the owner of job id, "" if it is unknown.
func (s *Server) jobOwner(ctx context.Context, id int64) string {
	s.mu.Lock()
	if j := s.jobs[id]; j != nil {
		owner := j.rec.Owner
		s.mu.Unlock()
		return owner
	}
	s.mu.Unlock()
	rec, _, err := s.store.GetJob(ctx, id)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
			s.log.Warn("events: reading a job's owner", "job", id, "err", err)
		}
		return ""
	}
	return rec.Owner
}
