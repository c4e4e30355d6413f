package policies

import "testing"

func TestCronPolicy(t *testing.T) {
	office := mustNew(t, KindCron, Params{"acquire": "0 8 * * mon-fri", "release": "0 20 * * mon-fri", "nodes": "2"})
	runDecisions(t, office, []decisionCase{
		{"after acquire: deploy",
			Snapshot{Now: at("Mon 10:00")}, "acquire 2; next Mon 2 Mar 20:00"},
		{"acquire fires on the minute",
			Snapshot{Now: at("Mon 08:00"), Nodes: nodes(deploying(1))}, "acquire 1; next Mon 2 Mar 20:00"},
		{"before acquire, released since friday",
			Snapshot{Now: at("Mon 07:00"), Nodes: nodes(free(1))}, "release n1; next Mon 2 Mar 08:00"},
		{"release fires on the minute",
			Snapshot{Now: at("Mon 20:00"), Nodes: nodes(free(2))}, "release n1 n2; next Tue 3 Mar 08:00"},
		{"weekend",
			Snapshot{Now: at("Sat 12:00")}, "next Mon 9 Mar 08:00"},
		{"not preemptive: busy nodes are withheld until idle",
			Snapshot{Now: at("Tue 21:00"), Nodes: nodes(busy(1), withheld(running(1)), deploying(1))},
			"release n3; withhold n1; next Wed 4 Mar 08:00"},
		{"acquired again: withheld nodes are offered",
			Snapshot{Now: at("Wed 08:00"), Nodes: nodes(withheld(busy(1)), free(1))}, "offer n1; next Wed 4 Mar 20:00"},
	})

	preemptive := mustNew(t, KindCron, Params{"acquire": "0 8 * * *", "release": "0 20 * * *", "preemptive": "true"})
	runDecisions(t, preemptive, []decisionCase{
		{"preemptive: busy nodes go too",
			Snapshot{Now: at("Mon 20:00"), Capacity: 3, Nodes: nodes(busy(1), free(1), running(1))},
			"release n1! n2 n3!; next Tue 3 Mar 08:00"},
		{"nodes 0 is the capacity",
			Snapshot{Now: at("Mon 09:00"), Capacity: 3}, "acquire 3; next Mon 2 Mar 20:00"},
	})

	// Release every hour, acquire at 08:00: in the same minute acquire wins.
	tie := mustNew(t, KindCron, Params{"acquire": "0 8 * * *", "release": "0 * * * *", "nodes": "1"})
	runDecisions(t, tie, []decisionCase{
		{"both fired at 08:00", Snapshot{Now: at("Mon 08:30")}, "acquire 1; next Mon 2 Mar 09:00"},
		{"release fired at 09:00", Snapshot{Now: at("Mon 09:30"), Nodes: nodes(free(1))}, "release n1; next Mon 2 Mar 10:00"},
	})

	inParis := mustNew(t, KindCron, Params{"acquire": "0 8 * * *", "release": "0 18 * * *", "timezone": "Europe/Paris", "nodes": "1"})
	runDecisions(t, inParis, []decisionCase{
		{"08:30 in Paris", Snapshot{Now: at("Mon 07:30")}, "acquire 1; next Mon 2 Mar 17:00"},
		{"07:30 in Paris", Snapshot{Now: at("Mon 06:30")}, "next Mon 2 Mar 07:00"},
	})
}

func TestCronPolicyReasons(t *testing.T) {
	p := mustNew(t, KindCron, Params{"acquire": "0 8 * * mon-fri", "release": "0 20 * * mon-fri", "nodes": "2"})
	d, _ := p.Decide(Snapshot{Now: at("Mon 10:00"), Nodes: nodes(withheld(free(1)))}, State{})
	checkExplain(t, d,
		`acquire 1: acquire "0 8 * * mon-fri" fired Mon 2 Mar 08:00: 2 nodes wanted, 1 in the source`,
		`offer n1: acquire "0 8 * * mon-fri" fired Mon 2 Mar 08:00`)
	d, _ = p.Decide(Snapshot{Now: at("Sat 10:00"), Nodes: nodes(free(1), busy(1))}, State{})
	checkExplain(t, d,
		`release n1: release "0 20 * * mon-fri" fired Fri 6 Mar 20:00`,
		`withhold n2: release "0 20 * * mon-fri" fired Fri 6 Mar 20:00; released once its tasks end`)
}
