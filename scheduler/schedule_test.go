package scheduler

import (
	"reflect"
	"slices"
	"testing"
)

func TestSchedule(t *testing.T) {
	tests := []struct {
		name  string
		nodes []Node
		queue []QueuedTask
		want  Plan
	}{{
		name:  "higher priority first",
		nodes: []Node{node("n1", 4, "8GiB", 1)},
		queue: concat(tasks(1, 1, 1, ""), high(tasks(2, 1, 1, ""))),
		want: Plan{
			Placements: []Placement{placed(201, "n1")},
			Unplaced:   []Unplaced{unplaced(101, reason(1, "no free node"))},
		},
	}, {
		name:  "fifo within a priority, then document order",
		nodes: []Node{node("n1", 4, "8GiB", 2)},
		queue: concat(tasks(3, 1, 1, ""), tasks(2, 2, 1, ""), low(tasks(1, 1, 1, ""))),
		want: Plan{
			Placements: []Placement{placed(201, "n1"), placed(202, "n1")},
			Unplaced:   []Unplaced{unplaced(301, reason(1, "no free node")), unplaced(101, reason(1, "no free node"))},
		},
	}, {
		name:  "packs onto one node before using the next",
		nodes: nodes(2, 4, "8GiB"),
		queue: tasks(1, 5, 1, "1GiB"),
		want: Plan{Placements: []Placement{
			placed(101, "n1"), placed(102, "n1"), placed(103, "n1"), placed(104, "n1"), placed(105, "n2"),
		}},
	}, {
		name:  "best fit: the node with the least cpu left, then memory",
		nodes: []Node{node("roomy", 16, "64GiB", 4), node("tight", 2, "64GiB", 4), node("tighter", 2, "4GiB", 4)},
		queue: tasks(1, 2, 2, "2GiB"),
		want:  Plan{Placements: []Placement{placed(101, "tighter"), placed(102, "tight")}},
	}, {
		name:  "a big task is skipped, smaller ones behind it still start",
		nodes: []Node{node("n1", 4, "8GiB", 4)},
		queue: concat(tasks(1, 1, 8, ""), tasks(2, 1, 2, "2GiB"), tasks(3, 1, 2, "16GiB"), tasks(4, 1, 2, "")),
		want: Plan{
			Placements: []Placement{placed(201, "n1"), placed(401, "n1")},
			Unplaced: []Unplaced{
				unplaced(101, reason(1, "not enough cpu (needs 8 cpu, most free 4)")),
				unplaced(301, reason(1, "not enough memory (needs 16GiB, most free 6GiB)")),
			},
		},
	}, {
		name: "reasons are counted across nodes, most frequent first",
		nodes: concat(
			[]Node{node("small1", 8, "1GiB", 4), node("small2", 8, "3GiB", 4), node("weak", 1.5, "64GiB", 4)},
			[]Node{node("weaker", 0.5, "64GiB", 4), node("full", 8, "64GiB", 0)},
			unavailable("down", node("d1", 8, "64GiB", 4), node("d2", 8, "64GiB", 4), node("d3", 8, "64GiB", 4)),
			unavailable("locked", node("l1", 8, "64GiB", 4))),
		queue: tasks(1, 1, 2, "4GiB"),
		want: Plan{Unplaced: []Unplaced{unplaced(101,
			reason(3, "down"),
			reason(2, "not enough cpu (needs 2 cpu, most free 1.5)"),
			reason(2, "not enough memory (needs 4GiB, most free 3GiB)"),
			reason(1, "locked"),
			reason(1, "no free slot"),
		)}},
	}, {
		name:  "a larger shape reuses the reasons counted for a rejected one, with its own needs",
		nodes: []Node{node("n1", 4, "8GiB", 4), node("n2", 2, "32GiB", 4)},
		queue: concat(tasks(1, 1, 8, "16GiB"), tasks(2, 1, 16, "64GiB"), tasks(3, 1, 8, "16GiB")),
		want: Plan{Unplaced: []Unplaced{
			unplaced(101, reason(2, "not enough cpu (needs 8 cpu, most free 4)")),
			unplaced(201, reason(2, "not enough cpu (needs 16 cpu, most free 4)")),
			unplaced(301, reason(2, "not enough cpu (needs 8 cpu, most free 4)")),
		}},
	}, {
		name:  "once no node has a free slot the rest is not examined",
		nodes: concat([]Node{node("n1", 64, "64GiB", 1), node("n2", 64, "64GiB", 1)}, unavailable("down", node("d", 1, "", 1))),
		queue: tasks(1, 4, 1, ""),
		want: Plan{
			Placements: []Placement{placed(101, "n1"), placed(102, "n2")},
			Unplaced:   []Unplaced{unplaced(103, reason(3, "no free node")), unplaced(104, reason(3, "no free node"))},
		},
	}, {
		name:  "every node unavailable",
		nodes: concat(unavailable("down", nodes(2, 4, "8GiB")...), unavailable("draining", node("d", 4, "", 1))),
		queue: tasks(1, 2, 1, ""),
		want: Plan{Unplaced: []Unplaced{
			unplaced(101, reason(2, "down"), reason(1, "draining")),
			unplaced(102, reason(2, "down"), reason(1, "draining")),
		}},
	}, {
		name:  "no nodes registered",
		queue: tasks(1, 2, 1, ""),
		want: Plan{Unplaced: []Unplaced{
			unplaced(101, reason(0, "no nodes registered")),
			unplaced(102, reason(0, "no nodes registered")),
		}},
	}, {
		name:  "empty queue",
		nodes: nodes(2, 4, "8GiB"),
		want:  Plan{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queue := slices.Clone(tt.queue)
			got := Schedule(Snapshot{Queue: queue, Nodes: tt.nodes})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Schedule:\n got %+v\nwant %+v", got, tt.want)
			}
			if !reflect.DeepEqual(queue, tt.queue) {
				t.Errorf("Schedule modified the snapshot's queue")
			}
			if naive := naiveSchedule(Snapshot{Queue: queue, Nodes: tt.nodes}); !reflect.DeepEqual(naive, tt.want) {
				t.Errorf("naive reference disagrees with the table:\n got %+v\nwant %+v", naive, tt.want)
			}
		})
	}
}

func TestScheduleLeavesNodesAlone(t *testing.T) {
	ns := nodes(2, 4, "8GiB")
	before := slices.Clone(ns)
	Schedule(Snapshot{Queue: tasks(1, 8, 1, "1GiB"), Nodes: ns})
	if !reflect.DeepEqual(ns, before) {
		t.Errorf("Schedule modified the snapshot's nodes")
	}
}

func TestLess(t *testing.T) {
	base := QueuedTask{TaskID: 5, JobID: 5, Index: 5, Priority: 3}
	with := func(f func(*QueuedTask)) QueuedTask { q := base; f(&q); return q }
	tests := []struct {
		name string
		a, b QueuedTask
		want bool
	}{
		{"higher priority first", with(func(q *QueuedTask) { q.Priority = 4; q.JobID = 9 }), base, true},
		{"lower priority later", with(func(q *QueuedTask) { q.Priority = 2; q.JobID = 1 }), base, false},
		{"older job first", with(func(q *QueuedTask) { q.JobID = 4; q.Index = 9 }), base, true},
		{"earlier index first", with(func(q *QueuedTask) { q.Index = 4; q.TaskID = 9 }), base, true},
		{"lower task id first", with(func(q *QueuedTask) { q.TaskID = 4 }), base, true},
		{"not less than itself", base, base, false},
	}
	for _, tt := range tests {
		if got := Less(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: Less = %v, want %v", tt.name, got, tt.want)
		}
	}
}
