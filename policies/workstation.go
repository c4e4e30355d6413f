package policies

import (
	"fmt"
	"time"
)

var workstationKind = Kind{
	Name:    KindWorkstation,
	Summary: "run grid work on workstations only while their owners are away",
	params: []Param{
		{Name: "input_idle", Type: TypeDuration, Default: "5m", Help: "the owner is away once keyboard and mouse are idle this long"},
		{Name: "max_load", Type: TypeFloat, Default: "0.5", Help: "and the load average not caused by grid tasks is at most this"},
		{Name: "max_suspend", Type: TypeDuration, Default: "30m", Help: "tasks suspended this long are vacated (killed and queued again, not counted as failures); 0s vacates at once"},
		startParam(false, "grid work only from this time of day, like 18:00; default: any time"),
		endParam, durationParam, daysParam, timezoneParam,
	},
	build: func(v *values) Policy {
		p := workstation{inputIdle: v.duration("input_idle"), maxLoad: v.float("max_load"), maxSuspend: v.duration("max_suspend")}
		v.check(p.maxLoad >= 0, "max_load", "must not be negative")
		if w, ok := readWindow(v); ok {
			p.hours = &w
		}
		return p
	},
}

// workstation lets each node run grid work only while its owner is away:
// no keyboard or mouse input for input_idle, non-grid load at most
// max_load and, if hours are given, inside them. When the owner comes back
// the node is withheld from new work and its tasks are suspended; they
// resume when the owner leaves again, or are vacated after max_suspend.
// Nodes enrol themselves: it never acquires nor releases.
type workstation struct {
	inputIdle  time.Duration
	maxLoad    float64
	maxSuspend time.Duration
	hours      *window // nil: any time
}

var _ Policy = workstation{}

func (workstation) Kind() string { return KindWorkstation }

func (p workstation) Decide(s Snapshot, st State) (Decision, State) {
	var d Decision
	inHours, why := true, ""
	if p.hours != nil {
		var edge time.Time
		inHours, edge = p.hours.state(s.Now)
		d.NextCheck = edge
		why = "outside the hours until " + p.hours.format(edge)
	}
	for _, n := range s.Nodes {
		if !n.alive() {
			continue
		}
		if !inHours {
			p.stop(&d, n, s.Now, why)
			continue
		}
		gone, ownerWhy, change := p.owner(n, s.Now)
		d.NextCheck = earliest(d.NextCheck, change)
		if gone {
			p.start(&d, n, ownerWhy)
		} else {
			p.stop(&d, n, s.Now, ownerWhy)
		}
	}
	return d, st
}

// owner says whether n's owner is away, why, and when that may change
// without a new reading (input idle reaching input_idle).
func (p workstation) owner(n Node, now time.Time) (away bool, why string, change time.Time) {
	o := n.Owner
	switch {
	case o == nil:
		return false, "no owner activity reported", time.Time{}
	case o.Load > p.maxLoad:
		return false, fmt.Sprintf("owner's load %g above %g", o.Load, p.maxLoad), time.Time{}
	case o.InputIdle < p.inputIdle:
		return false, fmt.Sprintf("owner active %s ago", human(o.InputIdle)), now.Add(p.inputIdle - o.InputIdle)
	}
	return true, fmt.Sprintf("owner away for %s, load %g", human(o.InputIdle), o.Load), time.Time{}
}

// start gives n grid work: its suspended tasks resume, and it is offered
// to the scheduler again.
func (p workstation) start(d *Decision, n Node, why string) {
	if !n.Suspended.IsZero() {
		d.Resume = append(d.Resume, Action{Node: n.Name, Reason: why})
	}
	if n.Withheld {
		d.Offer = append(d.Offer, Action{Node: n.Name, Reason: why})
	}
}

// stop takes grid work off n: it is withheld; running tasks are suspended,
// and vacated once suspended for max_suspend (at once for 0).
func (p workstation) stop(d *Decision, n Node, now time.Time, why string) {
	if !n.Withheld {
		d.Withhold = append(d.Withhold, Action{Node: n.Name, Reason: why})
	}
	switch {
	case n.Suspended.IsZero() && n.busy() && p.maxSuspend == 0:
		d.Vacate = append(d.Vacate, Action{Node: n.Name, Reason: why})
	case n.Suspended.IsZero() && n.busy():
		d.Suspend = append(d.Suspend, Action{Node: n.Name, Reason: why})
		d.NextCheck = earliest(d.NextCheck, now.Add(p.maxSuspend))
	case n.Suspended.IsZero():
	case now.Sub(n.Suspended) >= p.maxSuspend:
		d.Vacate = append(d.Vacate, Action{Node: n.Name,
			Reason: fmt.Sprintf("suspended for %s (max %s); %s", human(now.Sub(n.Suspended)), human(p.maxSuspend), why)})
	default:
		d.NextCheck = earliest(d.NextCheck, n.Suspended.Add(p.maxSuspend))
	}
}
