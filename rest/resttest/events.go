package resttest

import (
	"context"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// DefaultEventBuffer is how many events an Events stream holds for a slow
// reader before it overflows, unless SetEventBuffer says otherwise.
const DefaultEventBuffer = 256

// eventLog is what PublishEvent stored and the streams that follow it.
// Guarded by FakeBackend.mu.
type eventLog struct {
	events []api.Event // Seq 1, 2, ...
	subs   map[*eventSub]struct{}
	buffer int
}

// eventSub is one Events stream.
type eventSub struct {
	p    rest.Principal
	job  int64
	out  chan api.Event // buffer events plus room for the overflow
	last uint64
}

// SetEventBuffer sets how many events an Events stream opened afterwards
// may hold before it overflows.
func (f *FakeBackend) SetEventBuffer(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.feed.buffer = n
}

// PublishEvent stores e with the next Seq (and the backend's time if e has
// none), hands it to every stream that wants it and returns it.
func (f *FakeBackend) PublishEvent(e api.Event) api.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	e.Seq = uint64(len(f.feed.events) + 1)
	if e.Time.IsZero() {
		e.Time = f.now
	}
	f.feed.events = append(f.feed.events, e)
	for sub := range f.feed.subs {
		if !f.sendLocked(sub, e) {
			delete(f.feed.subs, sub)
		}
	}
	return e
}

// Events implements rest.Backend: the stored events with Seq > after,
// then published ones, filtered like the server's (users see node
// events and their own jobs'). A stream that holds more than its buffer
// ends with an api.EventOverflow event.
func (f *FakeBackend) Events(ctx context.Context, p rest.Principal, after uint64, jobID int64) (<-chan api.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if jobID != 0 {
		if _, err := f.jobLocked(p, jobID); err != nil {
			return nil, err
		}
	}
	buffer := f.feed.buffer
	if buffer <= 0 {
		buffer = DefaultEventBuffer
	}
	sub := &eventSub{p: p, job: jobID, out: make(chan api.Event, buffer+1), last: after}
	for _, e := range f.feed.events {
		if e.Seq > after && !f.sendLocked(sub, e) {
			return sub.out, nil
		}
	}
	if f.feed.subs == nil {
		f.feed.subs = map[*eventSub]struct{}{}
	}
	f.feed.subs[sub] = struct{}{}
	go func() {
		<-ctx.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.feed.subs[sub]; ok {
			delete(f.feed.subs, sub)
			close(sub.out)
		}
	}()
	return sub.out, nil
}

// sendLocked hands e to sub if it wants it; false when sub overflowed and
// was closed.
func (f *FakeBackend) sendLocked(sub *eventSub, e api.Event) bool {
	if sub.job != 0 && e.JobID != sub.job {
		return true
	}
	if sub.job == 0 && e.JobID != 0 && !sub.p.IsAdmin() {
		if j := f.jobs[e.JobID]; j == nil || j.job.Owner != sub.p.Name {
			return true
		}
	}
	if len(sub.out) >= cap(sub.out)-1 {
		sub.out <- api.Event{Kind: api.EventOverflow, Seq: sub.last, Time: f.now}
		close(sub.out)
		return false
	}
	sub.out <- e
	sub.last = e.Seq
	return true
}
