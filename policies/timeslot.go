package policies

var timeSlotKind = Kind{
	Name:    KindTimeSlot,
	Summary: "deploy the nodes while a daily or weekly window is open, release them when it closes",
	params: []Param{
		startParam(true, "when the window opens, like 08:00"),
		endParam, durationParam, daysParam, timezoneParam, nodesParam, preemptiveParam,
	},
	build: func(v *values) Policy {
		w, _ := readWindow(v)
		return timeSlot{window: w, size: readSize(v), preemptive: v.bool("preemptive")}
	},
}

// timeSlot holds the source's nodes while its window is open. When it
// closes, idle nodes are released; busy ones are preempted, or withheld
// from new work and released once their tasks end.
type timeSlot struct {
	window     window
	size       size
	preemptive bool
}

var _ Policy = timeSlot{}

func (timeSlot) Kind() string { return KindTimeSlot }

func (p timeSlot) Decide(s Snapshot, st State) (Decision, State) {
	open, edge := p.window.state(s.Now)
	d := Decision{NextCheck: edge}
	if open {
		why := "window open until " + p.window.format(edge)
		d.Acquire, d.AcquireReason = p.size.fill(s, why)
		d.Offer = offerWithheld(s, why)
	} else {
		d.Release, d.Withhold = drain(s, p.preemptive, "window closed until "+p.window.format(edge))
	}
	return d, st
}
