package policies

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// The vocabulary of the policy tables. The virtual clock is the week of
// Monday 2 March 2026, UTC; every node is in its state since t0 (Mon 09:00).
//
//	at("Tue 18:30")                  a time in that week
//	nodes(free(2), busy(1), down(1)) n1, n2 FREE and idle; n3 BUSY with a task; n4 DOWN
//	running(1)                       FREE with a task (room for more, but busy)
//	deploying(1), lost(1)
//	since(at(...), down(1))          entered its state then (idle then, if idle)
//	withheld(busy(1)), suspended(at(...), busy(1))
//	owner(7*time.Minute, 0.2, free(1))  a workstation's owner readings
//	named("ws1", free(1))
//
// A decision is compared as a summary, "acquire 2; release n1 n3!; next
// Mon 2 Mar 18:00" (! marks a preempting release); reasons, one action a
// line, by explain.

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var weekdays = map[string]int{"Mon": 0, "Tue": 1, "Wed": 2, "Thu": 3, "Fri": 4, "Sat": 5, "Sun": 6}

// at reads "Mon 09:00" as a time in the week of t0.
func at(s string) time.Time {
	day, hm, _ := strings.Cut(s, " ")
	tod, err := ParseTimeOfDay(hm)
	offset, ok := weekdays[day]
	if err != nil || !ok {
		panic("bad fixture time " + s)
	}
	return tod.on(t0.AddDate(0, 0, offset))
}

func group(n int, tmpl Node) []Node {
	out := make([]Node, n)
	for i := range out {
		out[i] = tmpl
	}
	return out
}

func free(n int) []Node { return group(n, Node{State: api.NodeFree, Since: t0, IdleSince: t0}) }
func busy(n int) []Node { return group(n, Node{State: api.NodeBusy, Since: t0, Tasks: 1}) }
func running(n int) []Node {
	return group(n, Node{State: api.NodeFree, Since: t0, Tasks: 1})
}
func deploying(n int) []Node { return group(n, Node{State: NodeDeploying, Since: t0}) }
func down(n int) []Node      { return group(n, Node{State: api.NodeDown, Since: t0}) }
func lost(n int) []Node      { return group(n, Node{State: NodeLost, Since: t0}) }

// each applies f to a copy of every node.
func each(ns []Node, f func(*Node)) []Node {
	out := make([]Node, len(ns))
	for i, n := range ns {
		f(&n)
		out[i] = n
	}
	return out
}

func since(t time.Time, ns []Node) []Node {
	return each(ns, func(n *Node) {
		n.Since = t
		if !n.IdleSince.IsZero() {
			n.IdleSince = t
		}
	})
}

func withheld(ns []Node) []Node { return each(ns, func(n *Node) { n.Withheld = true }) }

func suspended(t time.Time, ns []Node) []Node {
	return each(ns, func(n *Node) { n.Suspended = t })
}

func owner(inputIdle time.Duration, load float64, ns []Node) []Node {
	return each(ns, func(n *Node) { n.Owner = &Owner{InputIdle: inputIdle, Load: load} })
}

func named(name string, ns []Node) []Node { return each(ns, func(n *Node) { n.Name = name }) }

// nodes joins groups and names the unnamed nodes n1, n2, ... by position.
func nodes(groups ...[]Node) []Node {
	var out []Node
	for _, g := range groups {
		out = append(out, g...)
	}
	for i := range out {
		if out[i].Name == "" {
			out[i].Name = fmt.Sprintf("n%d", i+1)
		}
	}
	return out
}

// summary writes a decision on one line, for tables.
func summary(d Decision) string {
	var parts []string
	if d.Acquire != 0 {
		parts = append(parts, fmt.Sprintf("acquire %d", d.Acquire))
	}
	for _, l := range []struct {
		verb string
		as   []Action
	}{{"release", d.Release}, {"redeploy", d.Redeploy}, {"withhold", d.Withhold}, {"offer", d.Offer},
		{"suspend", d.Suspend}, {"resume", d.Resume}, {"vacate", d.Vacate}} {
		if len(l.as) == 0 {
			continue
		}
		names := make([]string, len(l.as))
		for i, a := range l.as {
			names[i] = a.Node
			if a.Preempt {
				names[i] += "!"
			}
		}
		parts = append(parts, l.verb+" "+strings.Join(names, " "))
	}
	if !d.NextCheck.IsZero() {
		parts = append(parts, "next "+d.NextCheck.UTC().Format("Mon 2 Jan 15:04"))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}

// explain writes every action of a decision with its reason, a line each.
func explain(d Decision) []string {
	var out []string
	if d.Acquire != 0 {
		out = append(out, fmt.Sprintf("acquire %d: %s", d.Acquire, d.AcquireReason))
	}
	for _, l := range []struct {
		verb string
		as   []Action
	}{{"release", d.Release}, {"redeploy", d.Redeploy}, {"withhold", d.Withhold}, {"offer", d.Offer},
		{"suspend", d.Suspend}, {"resume", d.Resume}, {"vacate", d.Vacate}} {
		for _, a := range l.as {
			out = append(out, fmt.Sprintf("%s %s: %s", l.verb, a.Node, a.Reason))
		}
	}
	return out
}

// mustNew builds a policy from params that must be valid.
func mustNew(t *testing.T, kind string, p Params) Policy {
	t.Helper()
	pol, errs := New(kind, p)
	if errs != nil {
		t.Fatalf("New(%s, %v): %v", kind, p, errs)
	}
	return pol
}

// decisionCase is one row of a policy table: a snapshot and the summary
// of the decision on it (from the zero State).
type decisionCase struct {
	name string
	s    Snapshot
	want string
}

func runDecisions(t *testing.T, p Policy, tests []decisionCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _ := p.Decide(tt.s, State{})
			if got := summary(d); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// step is one decision of a scenario: the State runs from step to step.
type step struct {
	s    Snapshot
	want string
}

func runScenario(t *testing.T, p Policy, steps []step) {
	t.Helper()
	var st State
	for i, sp := range steps {
		var d Decision
		d, st = p.Decide(sp.s, st)
		if got := summary(d); got != sp.want {
			t.Errorf("step %d at %s:\ngot  %s\nwant %s", i+1, sp.s.Now.Format("Mon 15:04"), got, sp.want)
		}
	}
}

// checkExplain compares a decision's reasons.
func checkExplain(t *testing.T, d Decision, want ...string) {
	t.Helper()
	got := explain(d)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("reasons:\ngot  %q\nwant %q", got, want)
	}
}
