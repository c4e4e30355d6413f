package scheduler

import (
	"math"
	"testing"
	"time"
)

func TestFairShare(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name    string
		charges func(f *FairShare)
		at      time.Duration // after t0
		queue   string
		user    string
		want    float64 // user's usage
		wantQ   float64 // queue's usage
	}{{
		name:    "nothing charged",
		charges: func(f *FairShare) {},
		queue:   "q", user: "alice",
	}, {
		name:    "a charge counts in full at once",
		charges: func(f *FairShare) { f.Charge("q", "alice", 3600, t0) },
		queue:   "q", user: "alice", want: 3600, wantQ: 3600,
	}, {
		name:    "half of it after one half-life, a quarter after two",
		charges: func(f *FairShare) { f.Charge("q", "alice", 3600, t0) },
		at:      2 * h, queue: "q", user: "alice", want: 900, wantQ: 900,
	}, {
		name: "charges add up, each decayed from its own time",
		charges: func(f *FairShare) {
			f.Charge("q", "alice", 1000, t0)
			f.Charge("q", "alice", 1000, t0.Add(h))
		},
		at: h, queue: "q", user: "alice", want: 1500, wantQ: 1500,
	}, {
		name: "an older charge is decayed to the entry's time",
		charges: func(f *FairShare) {
			f.Charge("q", "alice", 1000, t0.Add(h))
			f.Charge("q", "alice", 1000, t0)
		},
		at: h, queue: "q", user: "alice", want: 1500, wantQ: 1500,
	}, {
		name: "users and queues are apart; the queue sums its users",
		charges: func(f *FairShare) {
			f.Charge("q", "alice", 100, t0)
			f.Charge("q", "bob", 300, t0)
			f.Charge("other", "alice", 5000, t0)
		},
		queue: "q", user: "bob", want: 300, wantQ: 400,
	}, {
		name:    `"" is the default queue`,
		charges: func(f *FairShare) { f.Charge("", "alice", 100, t0) },
		queue:   "default", user: "alice", want: 100, wantQ: 100,
	}, {
		name:    "nothing negative",
		charges: func(f *FairShare) { f.Charge("q", "alice", -100, t0) },
		queue:   "q", user: "alice",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFairShare(h)
			tt.charges(f)
			now := t0.Add(tt.at)
			if got := f.Usage(tt.queue, tt.user, now); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("Usage = %v, want %v", got, tt.want)
			}
			if got := f.QueueUsage(tt.queue, now); math.Abs(got-tt.wantQ) > 1e-6 {
				t.Errorf("QueueUsage = %v, want %v", got, tt.wantQ)
			}
		})
	}
}

func TestFairShareFillAndPrune(t *testing.T) {
	f := NewFairShare(time.Hour)
	f.Charge("short", "alice", 800, t0)
	f.Charge("short", "bob", 8, t0)
	qs := []Queue{{Name: "short"}, {Name: "long"}}
	f.Fill(qs, t0.Add(time.Hour))
	if qs[0].Usage != 404 || qs[0].UserUsage["alice"] != 400 || qs[0].UserUsage["bob"] != 4 {
		t.Errorf("short = %+v, want usage 404 (alice 400, bob 4)", qs[0])
	}
	if qs[1].Usage != 0 || qs[1].UserUsage != nil {
		t.Errorf("long = %+v, want no usage", qs[1])
	}
	f.Prune(t0.Add(time.Hour), 10)
	if got := f.UserUsage("short", t0.Add(time.Hour)); len(got) != 1 || got["alice"] != 400 {
		t.Errorf("after Prune: %v, want only alice", got)
	}
	if NewFairShare(0).HalfLife() != DefaultHalfLife {
		t.Errorf("a zero half-life is not the default")
	}
}
