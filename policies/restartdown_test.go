package policies

import "testing"

func TestRestartDown(t *testing.T) {
	p := mustNew(t, KindRestartDown, Params{"max_redeploys": "2", "redeploy_window": "10m"})
	runDecisions(t, p, []decisionCase{
		{"deploys like static", Snapshot{Now: at("Mon 10:00"), Capacity: 3, Nodes: nodes(free(1))}, "acquire 2"},
		{"nothing down", Snapshot{Now: at("Mon 10:00"), Capacity: 2, Nodes: nodes(free(1), busy(1))}, "nothing"},
		{"down and lost nodes, down longest first",
			Snapshot{Now: at("Mon 10:00"), Capacity: 3, Nodes: nodes(since(at("Mon 09:50"), down(1)), since(at("Mon 09:40"), lost(1)), free(1))},
			"redeploy n2 n1"},
		{"rate limited",
			Snapshot{Now: at("Mon 10:00"), Nodes: nodes(since(at("Mon 09:50"), down(1)), since(at("Mon 09:40"), lost(1)), since(at("Mon 09:30"), down(1)))},
			"redeploy n3 n2; next Mon 2 Mar 10:10"},
		{"a tie on since goes by name",
			Snapshot{Now: at("Mon 10:00"), Nodes: nodes(named("b", down(1)), named("a", down(1)))},
			"redeploy a b"},
	})
}

func TestRestartDownRateLimitOverTime(t *testing.T) {
	p := mustNew(t, KindRestartDown, Params{"nodes": "3", "max_redeploys": "2", "redeploy_window": "10m"})
	threeDown := nodes(since(at("Mon 09:50"), down(1)), since(at("Mon 09:40"), lost(1)), since(at("Mon 09:55"), down(1)))
	runScenario(t, p, []step{
		{Snapshot{Now: at("Mon 10:00"), Nodes: threeDown}, "redeploy n2 n1; next Mon 2 Mar 10:10"},
		{Snapshot{Now: at("Mon 10:05"), Nodes: nodes(deploying(2), since(at("Mon 09:55"), down(1)))}, "next Mon 2 Mar 10:10"},
		// n1's redeploy failed: it is DOWN again, but the window has passed.
		{Snapshot{Now: at("Mon 10:10"), Nodes: nodes(since(at("Mon 10:08"), down(1)), free(1), since(at("Mon 09:55"), down(1)))},
			"redeploy n3 n1"},
		{Snapshot{Now: at("Mon 10:11"), Nodes: nodes(free(3))}, "nothing"},
	})
}

func TestRestartDownOncePerWindowPerNode(t *testing.T) {
	p := mustNew(t, KindRestartDown, Params{"max_redeploys": "5", "redeploy_window": "10m"})
	runScenario(t, p, []step{
		{Snapshot{Now: at("Mon 10:00"), Nodes: nodes(down(1))}, "redeploy n1"},
		{Snapshot{Now: at("Mon 10:02"), Nodes: nodes(since(at("Mon 10:01"), down(1)), down(1))}, "redeploy n2; next Mon 2 Mar 10:10"},
		{Snapshot{Now: at("Mon 10:10"), Nodes: nodes(since(at("Mon 10:01"), down(1)), deploying(1))}, "redeploy n1"},
	})
}

func TestRestartDownState(t *testing.T) {
	p := mustNew(t, KindRestartDown, Params{"max_redeploys": "2", "redeploy_window": "10m"})
	old := Redeploy{Node: "gone", At: at("Mon 09:45")}
	kept := Redeploy{Node: "n9", At: at("Mon 09:55")}
	d, st := p.Decide(Snapshot{Now: at("Mon 10:00"), Nodes: nodes(since(at("Mon 09:30"), down(1)))}, State{Redeploys: []Redeploy{old, kept}})
	checkExplain(t, d, "redeploy n1: DOWN for 30m; redeploy 2 of 2 per 10m")
	want := []Redeploy{kept, {Node: "n1", At: at("Mon 10:00")}}
	if len(st.Redeploys) != 2 || st.Redeploys[0] != want[0] || st.Redeploys[1] != want[1] {
		t.Errorf("state %v, want %v (expired entries dropped)", st.Redeploys, want)
	}
}
