package policies

import (
	"testing"
	"time"
)

// Owner readings for the workstation tables (defaults: input_idle 5m,
// max_load 0.5).
func away(ns []Node) []Node   { return owner(10*time.Minute, 0.1, ns) }
func active(ns []Node) []Node { return owner(time.Minute, 0.1, ns) }
func loaded(ns []Node) []Node { return owner(time.Hour, 2, ns) }

func TestWorkstation(t *testing.T) {
	p := mustNew(t, KindWorkstation, nil)
	now := at("Mon 10:00")
	runDecisions(t, p, []decisionCase{
		{"owner away: the node works", Snapshot{Now: now, Nodes: nodes(away(free(1)), away(busy(1)))}, "nothing"},
		{"owner away and the node withheld: offer it", Snapshot{Now: now, Nodes: nodes(away(withheld(free(1))))}, "offer n1"},
		{"owner back at an idle node: withhold it; look again when input could be idle",
			Snapshot{Now: now, Nodes: nodes(active(free(1)))}, "withhold n1; next Mon 2 Mar 10:04"},
		{"owner back while tasks run: suspend them",
			Snapshot{Now: now, Nodes: nodes(active(busy(1)))}, "withhold n1; suspend n1; next Mon 2 Mar 10:04"},
		{"a FREE node with a task is suspended too",
			Snapshot{Now: now, Nodes: nodes(loaded(running(1)))}, "withhold n1; suspend n1; next Mon 2 Mar 10:30"},
		{"suspended, owner still there: wait for max_suspend",
			Snapshot{Now: now, Nodes: nodes(loaded(withheld(suspended(at("Mon 09:50"), busy(1)))))}, "next Mon 2 Mar 10:20"},
		{"suspended for max_suspend: vacate",
			Snapshot{Now: now, Nodes: nodes(loaded(withheld(suspended(at("Mon 09:30"), busy(1)))))}, "vacate n1"},
		{"owner gone again: resume and offer",
			Snapshot{Now: now, Nodes: nodes(away(withheld(suspended(at("Mon 09:50"), busy(1)))))}, "offer n1; resume n1"},
		{"non-grid load above max_load: owner present",
			Snapshot{Now: now, Nodes: nodes(loaded(free(1)))}, "withhold n1"},
		{"at both thresholds: away",
			Snapshot{Now: now, Nodes: nodes(owner(5*time.Minute, 0.5, withheld(free(1))))}, "offer n1"},
		{"no readings: no grid work", Snapshot{Now: now, Nodes: nodes(busy(1))}, "withhold n1; suspend n1; next Mon 2 Mar 10:30"},
		{"nodes not up are left alone", Snapshot{Now: now, Nodes: nodes(down(1), lost(1), deploying(1))}, "nothing"},
		{"each node on its own",
			Snapshot{Now: now, Nodes: nodes(named("ws1", away(busy(1))), named("ws2", active(busy(1))), named("ws3", away(withheld(free(1)))))},
			"withhold ws2; offer ws3; suspend ws2; next Mon 2 Mar 10:04"},
		{"never acquires nor releases", Snapshot{Now: now, Capacity: 5, PendingTasks: 10}, "nothing"},
	})

	vacateAtOnce := mustNew(t, KindWorkstation, Params{"max_suspend": "0s"})
	runDecisions(t, vacateAtOnce, []decisionCase{
		{"max_suspend 0s vacates without suspending",
			Snapshot{Now: now, Nodes: nodes(loaded(busy(1)))}, "withhold n1; vacate n1"},
	})
}

func TestWorkstationHours(t *testing.T) {
	nights := mustNew(t, KindWorkstation, Params{"start": "18:00", "end": "08:00", "days": "mon-fri"})
	runDecisions(t, nights, []decisionCase{
		{"outside the hours even an away owner's node is withheld",
			Snapshot{Now: at("Mon 12:00"), Nodes: nodes(away(free(1)))}, "withhold n1; next Mon 2 Mar 18:00"},
		{"tasks still running when the hours end are suspended",
			Snapshot{Now: at("Tue 08:00"), Nodes: nodes(away(busy(1)))}, "withhold n1; suspend n1; next Tue 3 Mar 08:30"},
		{"and vacated after max_suspend",
			Snapshot{Now: at("Tue 08:30"), Nodes: nodes(away(withheld(suspended(at("Tue 08:00"), busy(1)))))}, "vacate n1; next Tue 3 Mar 18:00"},
		{"in the hours, owner away",
			Snapshot{Now: at("Mon 19:00"), Nodes: nodes(away(withheld(free(1))))}, "offer n1; next Tue 3 Mar 08:00"},
		{"in the hours, owner working late",
			Snapshot{Now: at("Mon 19:00"), Nodes: nodes(active(free(1)))}, "withhold n1; next Mon 2 Mar 19:04"},
		{"friday night runs to saturday 08:00",
			Snapshot{Now: at("Sat 07:00"), Nodes: nodes(away(free(1)))}, "next Sat 7 Mar 08:00"},
		{"no hours on the weekend",
			Snapshot{Now: at("Sat 20:00"), Nodes: nodes(away(free(1)))}, "withhold n1; next Mon 9 Mar 18:00"},
	})
}

func TestWorkstationReasons(t *testing.T) {
	p := mustNew(t, KindWorkstation, Params{"start": "18:00", "end": "08:00"})
	d, _ := p.Decide(Snapshot{Now: at("Mon 19:00"), Nodes: nodes(
		active(busy(1)),
		loaded(withheld(suspended(at("Mon 18:00"), busy(1)))),
		away(withheld(suspended(at("Mon 18:50"), busy(1)))),
	)}, State{})
	checkExplain(t, d,
		"withhold n1: owner active 1m ago",
		"offer n3: owner away for 10m, load 0.1",
		"suspend n1: owner active 1m ago",
		"resume n3: owner away for 10m, load 0.1",
		"vacate n2: suspended for 1h (max 30m); owner's load 2 above 0.5")
	d, _ = p.Decide(Snapshot{Now: at("Mon 12:00"), Nodes: nodes(away(free(1)))}, State{})
	checkExplain(t, d, "withhold n1: outside the hours until Mon 2 Mar 18:00")
}
