package scheduler

import (
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestQuotas: a task over a quota is not placed, and does not hold up its
// queue; running tasks and this cycle's placements both count.
func TestQuotas(t *testing.T) {
	roomy := []Node{node("n1", 64, "64GiB", 16)}
	runPlanTests(t, []planTest{{
		name: "running tasks per user",
		snap: Snapshot{Nodes: roomy,
			Queues:  []Queue{{Name: "short", MaxRunningPerUser: 2}},
			Running: []Running{run(901, "short", "alice", api.PriorityNormal, 1, -time.Minute, 0, "n1")},
			Queue:   concat(in("short", "alice", tasks(1, 3, 1, "")), in("short", "bob", tasks(2, 1, 1, "")))},
		want: Plan{
			// alice runs 1 and gets 1 more; bob, with less usage by then, goes second.
			Placements: []Placement{placed(201, "n1"), placed(101, "n1")},
			Unplaced: []Unplaced{
				unplaced(102, held("quota: user alice has 2 running tasks in queue short (max 2)")),
				unplaced(103, held("quota: user alice has 2 running tasks in queue short (max 2)")),
			},
		},
	}, {
		name: "cpus per user count every node of a multi-node task",
		snap: Snapshot{Nodes: nodes(2, 8, "8GiB"),
			Queues: []Queue{{Name: "default", MaxMilliCPUPerUser: milli(5)}},
			Queue:  concat(in("", "alice", spanning(2, false, tasks(1, 1, 2, ""))), in("", "alice", tasks(2, 2, 1, "")))},
		want: Plan{
			Placements: []Placement{placedOn(101, "n1", "n1"), placed(201, "n1")},
			Unplaced: []Unplaced{
				unplaced(202, held("quota: user alice runs 5 cpus in queue default, the task needs 1 (max 5)")),
			},
		},
	}, {
		name: "running tasks per queue",
		snap: Snapshot{Nodes: roomy,
			Queues: []Queue{{Name: "short", MaxRunning: 2}},
			Queue:  concat(in("short", "alice", tasks(1, 2, 1, "")), in("short", "bob", tasks(2, 2, 1, "")))},
		want: Plan{
			Placements: []Placement{placed(101, "n1"), placed(201, "n1")},
			Unplaced: []Unplaced{
				unplaced(102, held("quota: queue short has 2 running tasks (max 2)")),
				unplaced(202, held("quota: queue short has 2 running tasks (max 2)")),
			},
		},
	}, {
		name: "cpus per queue: a smaller task behind one over the quota still starts",
		snap: Snapshot{Nodes: roomy,
			Queues: []Queue{{Name: "short", MaxMilliCPU: milli(4)}},
			Queue:  concat(in("short", "alice", tasks(1, 2, 3, "")), in("short", "alice", tasks(2, 1, 1, "")))},
		want: Plan{
			Placements: []Placement{placed(101, "n1"), placed(201, "n1")},
			Unplaced:   []Unplaced{unplaced(102, held("quota: queue short runs 3 cpus, the task needs 3 (max 4)"))},
		},
	}, {
		name: "quotas are per queue",
		snap: Snapshot{Nodes: roomy,
			Queues: []Queue{{Name: "short", MaxRunning: 1}, {Name: "long"}},
			Queue:  concat(in("short", "alice", tasks(1, 2, 1, "")), in("long", "alice", tasks(2, 2, 1, "")))},
		want: Plan{
			Placements: []Placement{placed(101, "n1"), placed(201, "n1"), placed(202, "n1")},
			Unplaced:   []Unplaced{unplaced(102, held("quota: queue short has 1 running tasks (max 1)"))},
		},
	}})
}
