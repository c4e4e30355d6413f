package scheduler

import (
	"math"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// DefaultHalfLife is the fair-share half-life used when none is given.
const DefaultHalfLife = 24 * time.Hour

// FairShare keeps each queue's and each user's recent usage, in
// CPU-seconds, decaying with a half-life h: usage charged at t0 counts
// U(t) = U(t0)·2^(-(t-t0)/h) at t. The server (and the simulator) charge
// it as attempts run and end, and read it to fill Snapshot.Queues.
//
// Decay is lazy: each entry keeps its value and the time it was last
// brought up to date, so Charge and Usage cost one exp2 each whatever the
// number of entries. FairShare is not safe for concurrent use; the server
// calls it under its lock. The zero value is not usable: use NewFairShare.
type FairShare struct {
	halfLife float64 // seconds
	queues   map[string]*queueUsage
}

// queueUsage is one queue's usage, all users together and each user's.
type queueUsage struct {
	total decayed
	users map[string]*decayed
}

// decayed is one usage value and when it was last decayed.
type decayed struct {
	value float64
	at    time.Time
}

// NewFairShare returns an empty FairShare with half-life h (DefaultHalfLife
// when h <= 0).
func NewFairShare(h time.Duration) *FairShare {
	if h <= 0 {
		h = DefaultHalfLife
	}
	return &FairShare{halfLife: h.Seconds(), queues: map[string]*queueUsage{}}
}

// HalfLife is the half-life usage decays with.
func (f *FairShare) HalfLife() time.Duration {
	return time.Duration(f.halfLife * float64(time.Second))
}

// Charge adds cpuSeconds of usage by user in queue ("" is
// api.DefaultQueue), counted at time at. A charge older than the entry's
// last update is decayed to it, so charges may arrive out of order.
func (f *FairShare) Charge(queue, user string, cpuSeconds float64, at time.Time) {
	if cpuSeconds <= 0 {
		return
	}
	q := f.queues[queueName(queue)]
	if q == nil {
		q = &queueUsage{users: map[string]*decayed{}}
		f.queues[queueName(queue)] = q
	}
	u := q.users[user]
	if u == nil {
		u = &decayed{}
		q.users[user] = u
	}
	f.charge(&q.total, cpuSeconds, at)
	f.charge(u, cpuSeconds, at)
}

// Usage is user's decayed usage in queue at now, in CPU-seconds.
func (f *FairShare) Usage(queue, user string, now time.Time) float64 {
	if q := f.queues[queueName(queue)]; q != nil {
		return f.value(q.users[user], now)
	}
	return 0
}

// QueueUsage is queue's decayed usage at now, all users together.
func (f *FairShare) QueueUsage(queue string, now time.Time) float64 {
	if q := f.queues[queueName(queue)]; q != nil {
		return f.value(&q.total, now)
	}
	return 0
}

// UserUsage returns every user's decayed usage in queue at now (nil when
// none), for Queue.UserUsage.
func (f *FairShare) UserUsage(queue string, now time.Time) map[string]float64 {
	q := f.queues[queueName(queue)]
	if q == nil || len(q.users) == 0 {
		return nil
	}
	out := make(map[string]float64, len(q.users))
	for user, d := range q.users {
		out[user] = f.value(d, now)
	}
	return out
}

// Fill sets Usage and UserUsage of each queue in qs at now.
func (f *FairShare) Fill(qs []Queue, now time.Time) {
	for i := range qs {
		qs[i].Usage = f.QueueUsage(qs[i].Name, now)
		qs[i].UserUsage = f.UserUsage(qs[i].Name, now)
	}
}

// Prune forgets the entries whose usage at now has decayed below floor
// CPU-seconds, so that users who left do not stay in memory for ever.
func (f *FairShare) Prune(now time.Time, floor float64) {
	for name, q := range f.queues {
		for user, d := range q.users {
			if f.value(d, now) < floor {
				delete(q.users, user)
			}
		}
		if len(q.users) == 0 && f.value(&q.total, now) < floor {
			delete(f.queues, name)
		}
	}
}

// charge brings d to at (or at to d) and adds c.
func (f *FairShare) charge(d *decayed, c float64, at time.Time) {
	switch {
	case d.at.IsZero():
		d.at = at
	case at.After(d.at):
		d.value *= f.decay(at.Sub(d.at))
		d.at = at
	default: // an older charge: decay it to the entry's time
		c *= f.decay(d.at.Sub(at))
	}
	d.value += c
}

// value is d's usage at now; d is not modified (reads stay reads).
func (f *FairShare) value(d *decayed, now time.Time) float64 {
	if d == nil {
		return 0
	}
	if now.After(d.at) {
		return d.value * f.decay(now.Sub(d.at))
	}
	return d.value
}

// decay is the factor usage shrinks by over dt: 2^(-dt/h).
func (f *FairShare) decay(dt time.Duration) float64 {
	return math.Exp2(-dt.Seconds() / f.halfLife)
}

// queueName maps "" to api.DefaultQueue.
func queueName(q string) string {
	if q == "" {
		return api.DefaultQueue
	}
	return q
}
