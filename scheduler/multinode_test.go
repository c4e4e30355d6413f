package scheduler

import "testing"

func hosted(host string, n Node) Node { n.Host = host; return n }

// TestMultiNode: all slots at once or none; tightest nodes first, as many
// slots per node as fit; distinct hosts when asked.
func TestMultiNode(t *testing.T) {
	hosts := []Node{
		hosted("A", node("a1", 2, "8GiB", 4)), hosted("A", node("a2", 3, "8GiB", 4)),
		hosted("B", node("b1", 4, "8GiB", 4)), node("c1", 5, "8GiB", 4), // c1's host is its name
	}
	runPlanTests(t, []planTest{{
		name: "slots pack onto the tightest nodes",
		snap: Snapshot{Nodes: nodes(2, 4, "8GiB"), Queue: spanning(3, false, tasks(1, 1, 1, "1GiB"))},
		want: Plan{Placements: []Placement{placedOn(101, "n1", "n1", "n1")}},
	}, {
		name: "and spill over to the next",
		snap: Snapshot{Nodes: nodes(2, 4, "8GiB"), Queue: spanning(6, false, tasks(1, 1, 1, "1GiB"))},
		want: Plan{Placements: []Placement{placedOn(101, "n1", "n1", "n1", "n1", "n2", "n2")}},
	}, {
		name: "all or nothing: a smaller task behind it starts",
		snap: Snapshot{Nodes: []Node{node("n1", 4, "8GiB", 1), node("n2", 4, "8GiB", 1), node("n3", 1, "8GiB", 1)},
			Queue: concat(spanning(3, false, tasks(1, 1, 2, "")), tasks(2, 1, 1, ""))},
		want: Plan{
			Placements: []Placement{placed(201, "n3")},
			Unplaced: []Unplaced{unplaced(101,
				reason(2, "needs 3 nodes, 2 could take it"), reason(1, "not enough cpu (needs 2 cpu, most free 1)"))},
		},
	}, {
		name: "distinct hosts: one slot per host",
		snap: Snapshot{Nodes: hosts, Queue: spanning(3, true, tasks(1, 1, 1, ""))},
		want: Plan{Placements: []Placement{placedOn(101, "a1", "b1", "c1")}},
	}, {
		name: "distinct hosts: not enough of them",
		snap: Snapshot{Nodes: hosts, Queue: spanning(4, true, tasks(1, 1, 1, ""))},
		want: Plan{Unplaced: []Unplaced{unplaced(101, reason(3, "needs 4 nodes on distinct hosts, 3 could take it"))}},
	}, {
		name: "a multi-node rejection is not a shape rejection",
		snap: Snapshot{Nodes: nodes(2, 4, "8GiB"), Queue: concat(spanning(40, false, tasks(1, 1, 1, "")), tasks(2, 1, 1, ""))},
		want: Plan{
			Placements: []Placement{placed(201, "n1")},
			Unplaced:   []Unplaced{unplaced(101, reason(2, "needs 40 nodes, 8 could take it"))},
		},
	}})
}
