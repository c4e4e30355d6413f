package policies

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

var restartDownKind = Kind{
	Name:    KindRestartDown,
	Summary: "like static, and redeploy nodes that go DOWN or LOST, at a limited rate",
	params: []Param{
		nodesParam,
		{Name: "max_redeploys", Type: TypeInt, Default: "5", Help: "at most this many redeploys per redeploy_window"},
		{Name: "redeploy_window", Type: TypeDuration, Default: "10m", Help: "the period max_redeploys counts over; a node is redeployed at most once per window"},
	},
	build: func(v *values) Policy {
		p := restartDown{size: readSize(v), max: v.int("max_redeploys"), window: v.duration("redeploy_window")}
		v.check(p.max >= 1, "max_redeploys", "must be at least 1")
		v.check(p.window > 0, "redeploy_window", "must be more than 0")
		return p
	},
}

// restartDown is static plus redeploys of DOWN and LOST nodes, oldest
// first: at most max per window (a sliding window over State.Redeploys),
// and each node at most once per window, so one node that keeps failing
// cannot use up the budget.
type restartDown struct {
	size   size
	max    int
	window time.Duration
}

var _ Policy = restartDown{}

func (restartDown) Kind() string { return KindRestartDown }

func (p restartDown) Decide(s Snapshot, st State) (Decision, State) {
	var d Decision
	d.Acquire, d.AcquireReason = p.size.fill(s, "restart-down")
	recent := p.recent(st.Redeploys, s.Now)
	waiting := false
	for _, n := range p.candidates(s) {
		if slices.ContainsFunc(recent, func(r Redeploy) bool { return r.Node == n.Name }) || len(recent) >= p.max {
			waiting = true
			continue
		}
		recent = append(recent, Redeploy{Node: n.Name, At: s.Now})
		d.Redeploy = append(d.Redeploy, Action{Node: n.Name, Reason: fmt.Sprintf("%s for %s; redeploy %d of %d per %s",
			n.State, human(s.Now.Sub(n.Since)), len(recent), p.max, human(p.window))})
	}
	if waiting { // the next redeploy is possible when the oldest one expires
		d.NextCheck = recent[0].At.Add(p.window)
	}
	return d, State{Redeploys: recent}
}

// recent keeps the redeploys less than a window old.
func (p restartDown) recent(rs []Redeploy, now time.Time) []Redeploy {
	var out []Redeploy
	for _, r := range rs {
		if now.Sub(r.At) < p.window {
			out = append(out, r)
		}
	}
	return out
}

// candidates are the DOWN and LOST nodes, down longest first.
func (restartDown) candidates(s Snapshot) []Node {
	var out []Node
	for _, n := range s.Nodes {
		if n.dead() {
			out = append(out, n)
		}
	}
	slices.SortStableFunc(out, func(a, b Node) int {
		return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.Name, b.Name))
	})
	return out
}
