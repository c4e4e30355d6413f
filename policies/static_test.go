package policies

import "testing"

func TestStatic(t *testing.T) {
	all := mustNew(t, KindStatic, nil)
	four := mustNew(t, KindStatic, Params{"nodes": "4"})
	now := at("Mon 10:00")
	t.Run("nodes 0 is the capacity", func(t *testing.T) {
		runDecisions(t, all, []decisionCase{
			{"empty source deploys everything", Snapshot{Now: now, Capacity: 3}, "acquire 3"},
			{"deploying nodes count", Snapshot{Now: now, Capacity: 3, Nodes: nodes(deploying(2))}, "acquire 1"},
			{"full source does nothing", Snapshot{Now: now, Capacity: 3, Nodes: nodes(free(1), busy(1), deploying(1))}, "nothing"},
			{"down and lost nodes are kept, not replaced", Snapshot{Now: now, Capacity: 3, Nodes: nodes(free(1), down(1), lost(1))}, "nothing"},
			{"never releases, even past the capacity", Snapshot{Now: now, Capacity: 1, Nodes: nodes(free(3))}, "nothing"},
			{"no capacity and nodes 0: nothing to deploy", Snapshot{Now: now}, "nothing"},
		})
	})
	t.Run("nodes 4", func(t *testing.T) {
		runDecisions(t, four, []decisionCase{
			{"without a capacity", Snapshot{Now: now, Nodes: nodes(free(1))}, "acquire 3"},
			{"capped by the capacity", Snapshot{Now: now, Capacity: 2}, "acquire 2"},
			{"a removed node is replaced", Snapshot{Now: now, Nodes: nodes(free(2), busy(1))}, "acquire 1"},
		})
	})
}

func TestStaticReasons(t *testing.T) {
	d, _ := mustNew(t, KindStatic, nil).Decide(Snapshot{Now: at("Mon 10:00"), Capacity: 3, Nodes: nodes(down(1))}, State{})
	checkExplain(t, d, "acquire 2: static: 3 nodes wanted, 1 in the source")
}
