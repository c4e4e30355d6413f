package scheduler

import (
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestFIFOAndBackfill: n1 has 4 cores, 2 of them used by an attempt that
// ends in an hour; job 1 needs all 4 and waits. Behind it: job 2 (1 core,
// 30 minutes), job 3 (1 core, 2 hours), job 4 (1 core, no walltime).
func TestFIFOAndBackfill(t *testing.T) {
	busy := []Node{node("n1", 2, "8GiB", 4)}
	ending := []Running{run(901, "", "bob", api.PriorityNormal, 2, -time.Hour, time.Hour, "n1")}
	queue := concat(tasks(1, 1, 4, ""), walltime(30*time.Minute, tasks(2, 1, 1, "")),
		walltime(2*time.Hour, tasks(3, 1, 1, "")), tasks(4, 1, 1, ""))
	backfill := []Queue{{Name: "default", Backfill: true}}
	const reserved = "reserved for job 1 task t0 (backfill)"
	const behind = "waiting behind job 1 task t0 (queue default is first in, first out)"
	runPlanTests(t, []planTest{{
		name: "FIFO: a task blocked for resources holds up the queue",
		snap: Snapshot{Nodes: busy, Running: ending, Queue: queue},
		want: Plan{Unplaced: []Unplaced{
			unplaced(101, reason(1, "not enough cpu (needs 4 cpu, most free 2)")),
			unplaced(201, held(behind)), unplaced(301, held(behind)), unplaced(401, held(behind)),
		}},
	}, {
		name: "FIFO: a task no node could ever hold does not",
		snap: Snapshot{Nodes: busy, Running: ending, Queue: concat(tasks(1, 1, 8, ""), tasks(2, 1, 1, ""))},
		want: Plan{
			Placements: []Placement{placed(201, "n1")},
			Unplaced:   []Unplaced{unplaced(101, reason(1, "not enough cpu (needs 8 cpu, most free 2)"))},
		},
	}, {
		name: "FIFO: nor does a task that requests a token no node carries",
		snap: Snapshot{Nodes: busy, Running: ending,
			Queue: concat(func() []QueuedTask { q := tasks(1, 1, 1, ""); q[0].Token = "gpu"; return q }(), tasks(2, 1, 1, ""))},
		want: Plan{
			Placements: []Placement{placed(201, "n1")},
			Unplaced:   []Unplaced{unplaced(101, reason(1, "do not carry node token gpu"))},
		},
	}, {
		name: "backfill: only what ends before the reservation may use the reserved node",
		snap: Snapshot{Nodes: busy, Running: ending, Queues: backfill, Queue: queue},
		want: Plan{
			Placements: []Placement{placed(201, "n1")},
			Unplaced: []Unplaced{
				unplaced(101, reason(1, "not enough cpu (needs 4 cpu, most free 2)")),
				unplaced(301, reason(1, reserved)), unplaced(401, reason(1, reserved)),
			},
		},
	}, {
		name: "backfill: other nodes are free to use",
		snap: Snapshot{Nodes: append([]Node{node("n2", 2, "8GiB", 4)}, busy...), Running: ending, Queues: backfill, Queue: queue},
		want: Plan{
			// The reservation is on n1 (n2 can never hold 4 cores).
			Placements: []Placement{placed(201, "n1"), placed(301, "n2"), placed(401, "n2")},
			Unplaced:   []Unplaced{unplaced(101, reason(2, "not enough cpu (needs 4 cpu, most free 2)"))},
		},
	}, {
		name: "backfill: what the reserved task leaves of its node is free to use",
		snap: Snapshot{Nodes: busy, Running: ending, Queues: backfill,
			Queue: concat(tasks(1, 1, 3, ""), tasks(2, 2, 1, ""))},
		want: Plan{
			// At the reservation n1 has 4 cores, 3 for job 1: one more task fits.
			Placements: []Placement{placed(201, "n1")},
			Unplaced: []Unplaced{
				unplaced(101, reason(1, "not enough cpu (needs 3 cpu, most free 2)")),
				unplaced(202, reason(1, reserved)),
			},
		},
	}, {
		name: "backfill: attempts with no end give no reservation",
		snap: Snapshot{Nodes: busy, Queues: backfill,
			Running: []Running{run(901, "", "bob", api.PriorityNormal, 2, -time.Hour, 0, "n1")}, Queue: queue},
		want: Plan{
			Placements: []Placement{placed(201, "n1"), placed(301, "n1")},
			Unplaced: []Unplaced{
				unplaced(101, reason(1, "not enough cpu (needs 4 cpu, most free 2)")),
				unplaced(401, reason(1, "not enough cpu (needs 1 cpu, most free 0)")),
			},
		},
	}, {
		name: "backfill: the reservation counts the end of this cycle's placements",
		snap: Snapshot{Nodes: []Node{node("n1", 4, "8GiB", 4)}, Queues: backfill,
			Queue: concat(walltime(time.Hour, tasks(1, 1, 2, "")), tasks(2, 1, 4, ""),
				walltime(2*time.Hour, tasks(3, 1, 1, "")), walltime(30*time.Minute, tasks(4, 1, 1, "")))},
		want: Plan{
			// Job 2 can start when job 1 ends, in an hour: job 3 would delay it, job 4 not.
			Placements: []Placement{placed(101, "n1"), placed(401, "n1")},
			Unplaced: []Unplaced{
				unplaced(201, reason(1, "not enough cpu (needs 4 cpu, most free 2)")),
				unplaced(301, reason(1, reserved[:len("reserved for job ")]+"2 task t0 (backfill)")),
			},
		},
	}, {
		name: "backfill: a multi-node task's reservation counts every slot a node will have",
		snap: Snapshot{Nodes: []Node{node("n1", 1, "8GiB", 4)}, Running: []Running{
			run(901, "", "bob", api.PriorityNormal, 3, -time.Hour, time.Hour, "n1")}, Queues: backfill,
			Queue: concat(spanning(2, false, tasks(1, 1, 2, "")), tasks(2, 1, 1, ""), walltime(30*time.Minute, tasks(3, 1, 1, "")))},
		want: Plan{
			// In an hour n1 has 4 cores: both slots of job 1.
			Placements: []Placement{placed(301, "n1")},
			Unplaced: []Unplaced{
				unplaced(101, reason(1, "not enough cpu (needs 2 cpu, most free 1)"), reason(0, "needs 2 nodes, 0 could take it")),
				unplaced(201, reason(1, reserved)),
			},
		},
	}, {
		name: "a blocked queue does not hold up another",
		snap: Snapshot{Nodes: busy, Running: ending,
			Queue: concat(in("a", "alice", tasks(1, 1, 4, "")), in("a", "alice", tasks(2, 1, 1, "")), in("b", "bob", tasks(3, 1, 1, "")))},
		want: Plan{
			Placements: []Placement{placed(301, "n1")},
			Unplaced: []Unplaced{
				unplaced(101, reason(1, "not enough cpu (needs 4 cpu, most free 2)")),
				unplaced(201, held("waiting behind job 1 task t0 (queue a is first in, first out)")),
			},
		},
	}})
}
