package policies

import (
	"fmt"
	"strings"
	"time"
)

// nodesParam is the size of a source that deploys "everything": static,
// time-slot, cron and restart-down.
var nodesParam = Param{Name: "nodes", Type: TypeInt, Default: "0",
	Help: "how many nodes to deploy; 0: every node the infrastructure can provide"}

var preemptiveParam = Param{Name: "preemptive", Type: TypeBool, Default: "false",
	Help: "at release time, kill running tasks (they are queued again, not counted as failures) instead of waiting for them to end"}

// size is the nodes parameter: how many nodes the source keeps.
type size int

func readSize(v *values) size {
	v.check(v.int("nodes") >= 0, "nodes", "must not be negative")
	return size(v.int("nodes"))
}

// want is the number of nodes wanted: the nodes parameter, or the
// infrastructure's capacity for 0, and never more than that capacity.
func (z size) want(s Snapshot) int {
	n := int(z)
	if s.Capacity > 0 && (n == 0 || n > s.Capacity) {
		n = s.Capacity
	}
	return n
}

// fill returns how many nodes to acquire so that the source holds all it
// wants. Every node counts, whatever its state: a DOWN node is still the
// source's (restart-down redeploys it; static keeps it).
func (z size) fill(s Snapshot, why string) (int, string) {
	want, have := z.want(s), len(s.Nodes)
	if want <= have {
		return 0, ""
	}
	return want - have, fmt.Sprintf("%s: %s wanted, %d in the source", why, plural(want, "node"), have)
}

// drain empties the source. Idle nodes are released at once. Busy ones are
// released with their tasks preempted, or, when not preemptive, withheld
// from new work so that a later decision releases them once idle.
func drain(s Snapshot, preemptive bool, why string) (release, withhold []Action) {
	for _, n := range s.Nodes {
		switch {
		case !n.busy():
			release = append(release, Action{Node: n.Name, Reason: why})
		case preemptive:
			release = append(release, Action{Node: n.Name, Reason: why + "; preempting its tasks", Preempt: true})
		case !n.Withheld:
			withhold = append(withhold, Action{Node: n.Name, Reason: why + "; released once its tasks end"})
		}
	}
	return release, withhold
}

// offerWithheld gives withheld nodes work again.
func offerWithheld(s Snapshot, why string) []Action {
	var out []Action
	for _, n := range s.Nodes {
		if n.Withheld {
			out = append(out, Action{Node: n.Name, Reason: why})
		}
	}
	return out
}

// human writes a duration for reasons: "12m", "1h30m", "45s".
func human(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// plural writes "1 node", "3 nodes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
