package policies

import (
	"testing"
	"time"
)

func TestElastic(t *testing.T) {
	p := mustNew(t, KindElastic, Params{"min_nodes": "1", "max_nodes": "5", "load_factor": "2", "release_after": "10m"})
	now := at("Mon 10:00") // the fixtures' nodes have been in their state (and idle) for 1h
	runDecisions(t, p, []decisionCase{
		{"keeps min_nodes without work", Snapshot{Now: now}, "acquire 1"},
		{"ceil(pending / load factor)", Snapshot{Now: now, PendingTasks: 5}, "acquire 3"},
		{"deploying nodes count as coming", Snapshot{Now: now, PendingTasks: 5, Nodes: nodes(deploying(3))}, "nothing"},
		{"busy nodes count in the demand", Snapshot{Now: now, PendingTasks: 3, Nodes: nodes(busy(3))}, "nothing"},
		{"one more task tips it", Snapshot{Now: now, PendingTasks: 4, Nodes: nodes(busy(2), running(1))}, "acquire 1"},
		{"clamped to max_nodes", Snapshot{Now: now, PendingTasks: 100, Nodes: nodes(busy(2))}, "acquire 3"},
		{"down nodes hold places under max_nodes",
			Snapshot{Now: now, PendingTasks: 100, Nodes: nodes(busy(2), since(at("Mon 09:55"), down(2)))},
			"acquire 1; next Mon 2 Mar 10:05"},
		{"capped by the capacity", Snapshot{Now: now, Capacity: 2, PendingTasks: 100}, "acquire 2"},
		{"scale down: surplus idle nodes past release_after", Snapshot{Now: now, Nodes: nodes(free(3))}, "release n1 n2"},
		{"longest idle first",
			Snapshot{Now: now, Nodes: nodes(since(at("Mon 09:30"), free(1)), since(at("Mon 09:00"), free(1)), since(at("Mon 09:40"), free(1)))},
			"release n2 n1"},
		{"not idle long enough yet", Snapshot{Now: at("Mon 09:05"), Nodes: nodes(free(3))}, "next Mon 2 Mar 09:10"},
		{"one due now, the next one soon",
			Snapshot{Now: now, Nodes: nodes(since(at("Mon 09:52"), free(1)), since(at("Mon 09:55"), free(1)), free(1))},
			"release n3; next Mon 2 Mar 10:02"},
		{"never a busy node", Snapshot{Now: now, Nodes: nodes(busy(2), running(1))}, "nothing"},
		{"busy nodes stay, idle ones go", Snapshot{Now: now, Nodes: nodes(busy(1), free(2))}, "release n2 n3"},
		{"never a deploying node", Snapshot{Now: now, Nodes: nodes(deploying(3))}, "nothing"},
		{"no surplus: idle nodes stay", Snapshot{Now: now, PendingTasks: 4, Nodes: nodes(busy(2), free(1))}, "nothing"},
		{"down and lost nodes go after release_after",
			Snapshot{Now: now, Nodes: nodes(free(1), lost(1), since(at("Mon 09:55"), down(1)))},
			"release n2; next Mon 2 Mar 10:05"},
		{"an idle node of unknown idle time is kept",
			Snapshot{Now: now, Nodes: nodes(each(free(2), func(n *Node) { n.IdleSince = time.Time{} }))}, "nothing"},
	})
}

func TestElasticOverTime(t *testing.T) {
	p := mustNew(t, KindElastic, Params{"max_nodes": "4", "release_after": "10m"})
	runScenario(t, p, []step{
		{Snapshot{Now: at("Mon 10:00"), PendingTasks: 3}, "acquire 3"},
		{Snapshot{Now: at("Mon 10:01"), PendingTasks: 3, Nodes: nodes(deploying(3))}, "nothing"},
		{Snapshot{Now: at("Mon 10:02"), PendingTasks: 6, Nodes: nodes(deploying(1), free(2))}, "acquire 1"},
		{Snapshot{Now: at("Mon 10:03"), PendingTasks: 2, Nodes: nodes(busy(4))}, "nothing"},
		{Snapshot{Now: at("Mon 10:20"), Nodes: nodes(since(at("Mon 10:15"), free(3)), busy(1))}, "next Mon 2 Mar 10:25"},
		{Snapshot{Now: at("Mon 10:25"), Nodes: nodes(since(at("Mon 10:15"), free(3)), busy(1))}, "release n1 n2 n3"},
		{Snapshot{Now: at("Mon 10:26"), Nodes: nodes(since(at("Mon 10:26"), free(1)))}, "next Mon 2 Mar 10:36"},
		{Snapshot{Now: at("Mon 10:36")}, "nothing"},
	})
}

func TestElasticReasons(t *testing.T) {
	p := mustNew(t, KindElastic, Params{"max_nodes": "4", "load_factor": "1.5", "release_after": "10m"})
	d, _ := p.Decide(Snapshot{Now: at("Mon 10:00"), PendingTasks: 4, Nodes: nodes(busy(1), deploying(1))}, State{})
	checkExplain(t, d, "acquire 2: 4 pending tasks + 1 busy node at load factor 1.5: 4 nodes wanted (min 0, max 4), 2 serving")
	d, _ = p.Decide(Snapshot{Now: at("Mon 10:00"), Nodes: nodes(since(at("Mon 09:48"), free(1)), since(at("Mon 09:30"), down(1)))}, State{})
	checkExplain(t, d,
		"release n1: idle for 12m; 0 nodes wanted (min 0, max 4), 1 serving",
		"release n2: DOWN for 30m")
}
