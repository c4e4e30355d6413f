package policies

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shrike-grid/shrike/api"
)

var elasticKind = Kind{
	Name:    KindElastic,
	Summary: "follow the load: deploy nodes for pending tasks, release nodes idle for a while",
	params: []Param{
		{Name: "min_nodes", Type: TypeInt, Default: "0", Help: "nodes kept even without work"},
		{Name: "max_nodes", Type: TypeInt, Required: true, Help: "the most nodes the source may hold, DOWN ones included"},
		{Name: "load_factor", Type: TypeFloat, Default: "1", Help: "tasks per node: nodes wanted = ceil((pending tasks + busy nodes) / load_factor)"},
		{Name: "release_after", Type: TypeDuration, Default: "10m", Help: "release a node idle (or DOWN, or LOST) this long, when it is not needed"},
	},
	build: func(v *values) Policy {
		p := elastic{min: v.int("min_nodes"), max: v.int("max_nodes"),
			loadFactor: v.float("load_factor"), releaseAfter: v.duration("release_after")}
		v.check(p.min >= 0, "min_nodes", "must not be negative")
		v.check(p.max >= 1, "max_nodes", "must be at least 1")
		v.check(p.max >= p.min || !v.has("min_nodes"), "max_nodes", "must be at least min_nodes (%d)", p.min)
		v.check(p.loadFactor > 0, "load_factor", "must be more than 0")
		return p
	},
}

// elastic keeps ceil((pending tasks + busy nodes) / load_factor) nodes,
// clamped to [min, max]. DEPLOYING nodes count as serving, so it never asks
// twice for the same demand. It never releases a busy or deploying node.
//
// Scale-down releases at once every surplus node idle for release_after,
// longest idle first — not one per decision: each has already proved idle
// for release_after, and one at a time would only make a large source take
// many decisions to shrink. DOWN and LOST nodes are released after
// release_after too (they may come back before), so they do not hold
// places under max for ever.
type elastic struct {
	min, max     int
	loadFactor   float64
	releaseAfter time.Duration
}

var _ Policy = elastic{}

func (elastic) Kind() string { return KindElastic }

// census counts a source's nodes for elastic.
type census struct {
	total   int // every node, DOWN and LOST included
	serving int // DEPLOYING, FREE and BUSY
	busy    int // running at least one task
}

func count(s Snapshot) census {
	var c census
	for _, n := range s.Nodes {
		c.total++
		if !n.dead() {
			c.serving++
		}
		if n.busy() {
			c.busy++
		}
	}
	return c
}

func (p elastic) Decide(s Snapshot, st State) (Decision, State) {
	c := count(s)
	expected := int(math.Ceil(float64(s.PendingTasks+c.busy) / p.loadFactor))
	wanted := min(max(expected, p.min), p.max)
	demand := fmt.Sprintf("%s wanted (min %d, max %d), %d serving", plural(wanted, "node"), p.min, p.max, c.serving)
	var d Decision
	room := p.max - c.total
	if s.Capacity > 0 {
		room = min(room, s.Capacity-c.total)
	}
	if n := min(wanted-c.serving, room); n > 0 {
		d.Acquire = n
		d.AcquireReason = fmt.Sprintf("%s + %s at load factor %g: %s", plural(s.PendingTasks, "pending task"),
			plural(c.busy, "busy node"), p.loadFactor, demand)
	}
	d.Release, d.NextCheck = p.releaseIdle(s, c.serving-wanted, demand)
	dead, next := p.releaseDead(s)
	d.Release = append(d.Release, dead...)
	d.NextCheck = earliest(d.NextCheck, next)
	return d, st
}

// releaseIdle releases up to surplus nodes idle for release_after, longest
// idle first. next is when another idle node reaches release_after while
// a surplus remains.
func (p elastic) releaseIdle(s Snapshot, surplus int, demand string) (out []Action, next time.Time) {
	var idle []Node
	for _, n := range s.Nodes {
		if n.State == api.NodeFree && !n.busy() && !n.IdleSince.IsZero() {
			idle = append(idle, n)
		}
	}
	slices.SortStableFunc(idle, func(a, b Node) int {
		return cmp.Or(a.IdleSince.Compare(b.IdleSince), cmp.Compare(a.Name, b.Name))
	})
	for _, n := range idle {
		if len(out) >= surplus {
			break
		}
		if due := n.IdleSince.Add(p.releaseAfter); s.Now.Before(due) {
			return out, due // sorted: the others are due later
		}
		out = append(out, Action{Node: n.Name, Reason: fmt.Sprintf("idle for %s; %s", human(s.Now.Sub(n.IdleSince)), demand)})
	}
	return out, time.Time{}
}

// releaseDead releases nodes DOWN or LOST for release_after; next is when
// the next one will have been.
func (p elastic) releaseDead(s Snapshot) (out []Action, next time.Time) {
	for _, n := range s.Nodes {
		if !n.dead() {
			continue
		}
		if due := n.Since.Add(p.releaseAfter); s.Now.Before(due) {
			next = earliest(next, due)
			continue
		}
		out = append(out, Action{Node: n.Name, Reason: fmt.Sprintf("%s for %s", n.State, human(s.Now.Sub(n.Since)))})
	}
	return out, next
}
