package policies

import (
	"fmt"
	"time"
)

var cronKind = Kind{
	Name:    KindCron,
	Summary: "deploy the nodes when one cron expression fires, release them when another does",
	params: []Param{
		{Name: "acquire", Type: TypeCron, Required: true, Help: "when to deploy the nodes, like \"0 8 * * mon-fri\""},
		{Name: "release", Type: TypeCron, Required: true, Help: "when to release them, like \"0 20 * * mon-fri\""},
		timezoneParam, nodesParam, preemptiveParam,
	},
	build: func(v *values) Policy {
		return cronPolicy{acquire: v.cron("acquire"), release: v.cron("release"),
			loc: readLocation(v), size: readSize(v), preemptive: v.bool("preemptive")}
	},
}

// cronPolicy holds the nodes from an acquire time to the next release
// time. Which one fired last decides, so a restart in between changes
// nothing; when both fire in the same minute, acquire wins.
type cronPolicy struct {
	acquire, release Cron
	loc              *time.Location // nil: Snapshot.Now's
	size             size
	preemptive       bool
}

var _ Policy = cronPolicy{}

func (cronPolicy) Kind() string { return KindCron }

func (p cronPolicy) Decide(s Snapshot, st State) (Decision, State) {
	now := s.Now
	if p.loc != nil {
		now = now.In(p.loc)
	}
	acquired, released := p.acquire.Prev(now), p.release.Prev(now)
	d := Decision{NextCheck: earliest(p.acquire.Next(now), p.release.Next(now))}
	if !acquired.IsZero() && !acquired.Before(released) {
		why := fmt.Sprintf("acquire %q fired %s", p.acquire, acquired.Format("Mon 2 Jan 15:04"))
		d.Acquire, d.AcquireReason = p.size.fill(s, why)
		d.Offer = offerWithheld(s, why)
		return d, st
	}
	why := fmt.Sprintf("release %q fired %s", p.release, released.Format("Mon 2 Jan 15:04"))
	if released.IsZero() {
		why = fmt.Sprintf("acquire %q has not fired yet", p.acquire)
	}
	d.Release, d.Withhold = drain(s, p.preemptive, why)
	return d, st
}
