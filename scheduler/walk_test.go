package scheduler

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// planTest is one row of the tables of the scheduler's depth: a snapshot
// (Now is t0 unless set) and the whole plan expected.
type planTest struct {
	name string
	snap Snapshot
	want Plan
}

func runPlanTests(t *testing.T, tests []planTest) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.snap
			if s.Now.IsZero() {
				s.Now = t0
			}
			if s.HalfLife == 0 {
				s.HalfLife = time.Hour
			}
			queue, running := slices.Clone(s.Queue), slices.Clone(s.Running)
			got := Schedule(s)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Schedule:\n got %+v\nwant %+v", got, tt.want)
			}
			if !reflect.DeepEqual(s.Queue, queue) || !reflect.DeepEqual(s.Running, running) {
				t.Errorf("Schedule modified the snapshot")
			}
		})
	}
}

// TestWalkOrder: priority first, across queues too; then the queue with
// the least effective usage per weight; then its user with the least;
// placements count at once (E = U + h·C).
func TestWalkOrder(t *testing.T) {
	const h = 3600 // the tables' half-life, in seconds
	one := []Node{node("n1", 16, "64GiB", 1)}
	runPlanTests(t, []planTest{{
		name: "higher priority first, whatever the queue's usage",
		snap: Snapshot{Nodes: one,
			Queues: []Queue{{Name: "busy", Usage: 1e9}, {Name: "idle"}},
			Queue:  concat(in("idle", "alice", tasks(1, 1, 1, "")), high(in("busy", "bob", tasks(2, 1, 1, ""))))},
		want: Plan{
			Placements: []Placement{placed(201, "n1")},
			Unplaced:   []Unplaced{unplaced(101, reason(1, "no free node"))},
		},
	}, {
		name: "at one priority, the queue with the least usage per weight",
		snap: Snapshot{Nodes: one,
			Queues: []Queue{{Name: "a", Usage: 100}, {Name: "b", Usage: 150, Weight: 2}},
			Queue:  concat(in("a", "alice", tasks(1, 1, 1, "")), in("b", "alice", tasks(2, 1, 1, "")))},
		want: Plan{
			Placements: []Placement{placed(201, "n1")},
			Unplaced:   []Unplaced{unplaced(101, reason(1, "no free node"))},
		},
	}, {
		name: "in a queue, the user with the least usage, even if submitted later",
		snap: Snapshot{Nodes: one,
			Queues: []Queue{{Name: "default", UserUsage: map[string]float64{"alice": 1000, "bob": 10}}},
			Queue:  concat(in("", "alice", tasks(1, 1, 1, "")), in("", "bob", tasks(2, 1, 1, "")))},
		want: Plan{
			Placements: []Placement{placed(201, "n1")},
			Unplaced:   []Unplaced{unplaced(101, reason(1, "no free node"))},
		},
	}, {
		name: "placing a task raises its user's usage: users take turns",
		snap: Snapshot{Nodes: []Node{node("n1", 16, "64GiB", 5)},
			Queue: concat(in("", "alice", tasks(1, 4, 1, "")), in("", "bob", tasks(2, 4, 1, "")))},
		want: Plan{
			Placements: []Placement{placed(101, "n1"), placed(201, "n1"), placed(102, "n1"), placed(202, "n1"), placed(103, "n1")},
			// Once the nodes are full the rest is listed user by user.
			Unplaced: []Unplaced{
				unplaced(104, reason(1, "no free node")), unplaced(203, reason(1, "no free node")),
				unplaced(204, reason(1, "no free node")),
			},
		},
	}, {
		name: "a user running many cores now is not idle: E = U + h·C",
		snap: Snapshot{Nodes: one,
			// alice: 4 cores running, no past usage: E = 4h; bob: E = 1h.
			Queues:  []Queue{{Name: "default", UserUsage: map[string]float64{"bob": 1 * h}}},
			Running: []Running{run(901, "", "alice", api.PriorityNormal, 4, -time.Minute, 0, "elsewhere")},
			Queue:   concat(in("", "alice", tasks(1, 1, 1, "")), in("", "bob", tasks(2, 1, 1, "")))},
		want: Plan{
			Placements: []Placement{placed(201, "n1")},
			Unplaced:   []Unplaced{unplaced(101, reason(1, "no free node"))},
		},
	}, {
		name: "weights share the cores: weight 2 gets two tasks for one",
		snap: Snapshot{Nodes: []Node{node("n1", 16, "64GiB", 6)},
			Queues: []Queue{{Name: "a", Weight: 2}, {Name: "b"}},
			Queue:  concat(in("a", "alice", tasks(1, 6, 1, "")), in("b", "bob", tasks(2, 6, 1, "")))},
		want: Plan{
			// a: 0, b: 0 → a (first in queue order); a: 0.5h, b: 0 → b;
			// a: 0.5h, b: 1h → a; a: 1h, b: 1h → a (first); a: 1.5h → b; ...
			Placements: []Placement{placed(101, "n1"), placed(201, "n1"), placed(102, "n1"), placed(103, "n1"),
				placed(202, "n1"), placed(104, "n1")},
			Unplaced: []Unplaced{
				unplaced(105, reason(1, "no free node")), unplaced(106, reason(1, "no free node")),
				unplaced(203, reason(1, "no free node")), unplaced(204, reason(1, "no free node")),
				unplaced(205, reason(1, "no free node")), unplaced(206, reason(1, "no free node")),
			},
		},
	}, {
		name: "a queue not configured is the default's equal, FIFO and of weight 1",
		snap: Snapshot{Nodes: []Node{node("n1", 16, "64GiB", 2)},
			Queue: concat(in("", "alice", tasks(1, 2, 1, "")), in("other", "alice", tasks(2, 2, 1, "")))},
		want: Plan{
			Placements: []Placement{placed(101, "n1"), placed(201, "n1")},
			Unplaced:   []Unplaced{unplaced(102, reason(1, "no free node")), unplaced(202, reason(1, "no free node"))},
		},
	}})
}
