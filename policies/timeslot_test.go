package policies

import (
	"testing"
	"time"
)

func TestTimeSlot(t *testing.T) {
	office := mustNew(t, KindTimeSlot, Params{"start": "08:00", "end": "18:00", "days": "mon-fri"})
	runDecisions(t, office, []decisionCase{
		{"open: deploy up to the capacity",
			Snapshot{Now: at("Mon 10:00"), Capacity: 2}, "acquire 2; next Mon 2 Mar 18:00"},
		{"opens on the minute",
			Snapshot{Now: at("Mon 08:00"), Capacity: 2, Nodes: nodes(deploying(1))}, "acquire 1; next Mon 2 Mar 18:00"},
		{"open and full",
			Snapshot{Now: at("Tue 17:59"), Capacity: 2, Nodes: nodes(free(1), busy(1))}, "next Tue 3 Mar 18:00"},
		{"closed before the window",
			Snapshot{Now: at("Mon 07:59"), Capacity: 2, Nodes: nodes(free(1))}, "release n1; next Mon 2 Mar 08:00"},
		{"closes on the minute",
			Snapshot{Now: at("Mon 18:00"), Capacity: 2, Nodes: nodes(free(1))}, "release n1; next Tue 3 Mar 08:00"},
		{"friday evening waits for monday",
			Snapshot{Now: at("Fri 19:00"), Capacity: 2}, "next Mon 9 Mar 08:00"},
		{"closed on the weekend",
			Snapshot{Now: at("Sun 12:00"), Capacity: 2, Nodes: nodes(free(1))}, "release n1; next Mon 9 Mar 08:00"},
		{"closed, not preemptive: idle nodes go, busy ones are withheld",
			Snapshot{Now: at("Mon 19:00"), Nodes: nodes(free(1), busy(1), running(1), deploying(1), down(1), lost(1))},
			"release n1 n4 n5 n6; withhold n2 n3; next Tue 3 Mar 08:00"},
		{"closed: a withheld busy node waits for its tasks",
			Snapshot{Now: at("Mon 19:00"), Nodes: nodes(withheld(busy(1)))}, "next Tue 3 Mar 08:00"},
		{"closed: a withheld node released once idle",
			Snapshot{Now: at("Mon 19:00"), Nodes: nodes(withheld(free(1)))}, "release n1; next Tue 3 Mar 08:00"},
		{"open again: withheld nodes are offered work",
			Snapshot{Now: at("Tue 08:00"), Capacity: 2, Nodes: nodes(withheld(busy(1)))}, "acquire 1; offer n1; next Tue 3 Mar 18:00"},
	})

	preemptive := mustNew(t, KindTimeSlot, Params{"start": "08:00", "end": "18:00", "preemptive": "true", "nodes": "3"})
	runDecisions(t, preemptive, []decisionCase{
		{"closed, preemptive: busy nodes go too",
			Snapshot{Now: at("Mon 19:00"), Nodes: nodes(free(1), busy(1), withheld(running(1)))},
			"release n1 n2! n3!; next Tue 3 Mar 08:00"},
		{"nodes without a capacity",
			Snapshot{Now: at("Sat 09:00"), Nodes: nodes(free(1))}, "acquire 2; next Sat 7 Mar 18:00"},
	})

	night := mustNew(t, KindTimeSlot, Params{"start": "22:00", "end": "06:00", "nodes": "1"})
	runDecisions(t, night, []decisionCase{
		{"night window crosses midnight", Snapshot{Now: at("Mon 23:00")}, "acquire 1; next Tue 3 Mar 06:00"},
		{"still open after midnight", Snapshot{Now: at("Tue 05:59")}, "acquire 1; next Tue 3 Mar 06:00"},
		{"opened the evening before t0's week", Snapshot{Now: at("Mon 01:00")}, "acquire 1; next Mon 2 Mar 06:00"},
		{"closed in the day", Snapshot{Now: at("Tue 06:00"), Nodes: nodes(free(1))}, "release n1; next Tue 3 Mar 22:00"},
	})

	weekend := mustNew(t, KindTimeSlot, Params{"start": "18:00", "duration": "62h", "days": "fri", "nodes": "1"})
	runDecisions(t, weekend, []decisionCase{
		{"a 62h window opened last friday", Snapshot{Now: at("Mon 07:00")}, "acquire 1; next Mon 2 Mar 08:00"},
		{"closed in the week", Snapshot{Now: at("Thu 12:00")}, "next Fri 6 Mar 18:00"},
		{"open on saturday", Snapshot{Now: at("Sat 12:00")}, "acquire 1; next Mon 9 Mar 08:00"},
	})
}

func TestTimeSlotInATimeZone(t *testing.T) {
	inParis := mustNew(t, KindTimeSlot, Params{"start": "08:00", "end": "18:00", "timezone": "Europe/Paris", "nodes": "1"})
	runDecisions(t, inParis, []decisionCase{
		{"08:30 in Paris is 07:30 UTC in winter", Snapshot{Now: at("Mon 07:30")}, "acquire 1; next Mon 2 Mar 17:00"},
		{"07:30 in Paris", Snapshot{Now: at("Mon 06:30")}, "next Mon 2 Mar 07:00"},
		{"after the spring change, 08:00 in Paris is 06:00 UTC",
			Snapshot{Now: time.Date(2026, 3, 29, 20, 0, 0, 0, time.UTC)}, "next Mon 30 Mar 06:00"},
		{"the day of the change",
			Snapshot{Now: time.Date(2026, 3, 28, 20, 0, 0, 0, time.UTC)}, "next Sun 29 Mar 06:00"},
	})
}

func TestTimeSlotReasons(t *testing.T) {
	office := mustNew(t, KindTimeSlot, Params{"start": "08:00", "end": "18:00", "nodes": "2"})
	d, _ := office.Decide(Snapshot{Now: at("Mon 18:30"), Nodes: nodes(free(1), busy(1))}, State{})
	checkExplain(t, d,
		"release n1: window closed until Tue 3 Mar 08:00",
		"withhold n2: window closed until Tue 3 Mar 08:00; released once its tasks end")

	d, _ = office.Decide(Snapshot{Now: at("Tue 08:00"), Nodes: nodes(withheld(busy(1)))}, State{})
	checkExplain(t, d,
		"acquire 1: window open until Tue 3 Mar 18:00: 2 nodes wanted, 1 in the source",
		"offer n1: window open until Tue 3 Mar 18:00")

	preemptive := mustNew(t, KindTimeSlot, Params{"start": "08:00", "end": "18:00", "preemptive": "true"})
	d, _ = preemptive.Decide(Snapshot{Now: at("Mon 18:30"), Nodes: nodes(busy(1))}, State{})
	checkExplain(t, d, "release n1: window closed until Tue 3 Mar 08:00; preempting its tasks")
}
