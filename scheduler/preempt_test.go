package scheduler

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestPreemption: n1 (4 cores in use, slots free) runs two low tasks and a
// normal one of queue q; n2 runs one normal task of 4 cores.
func TestPreemption(t *testing.T) {
	full := []Node{node("n1", 0, "8GiB", 4), node("n2", 0, "8GiB", 4)}
	running := []Running{
		run(901, "q", "bob", api.PriorityLow, 1, -2*time.Hour, 0, "n1"),
		run(902, "q", "bob", api.PriorityLow, 1, -time.Hour, 0, "n1"),
		run(903, "q", "bob", api.PriorityNormal, 2, -10*time.Minute, 0, "n1"),
		run(904, "q", "carol", api.PriorityNormal, 4, -time.Minute, 0, "n2"),
	}
	preemptive := []Queue{{Name: "q", Preemption: true, Backfill: true}}
	why := func(job int, p string) string {
		return "preempted by job " + string(rune('0'+job)) + " task t0 (priority " + p + ") in queue q"
	}
	runPlanTests(t, []planTest{{
		name: "the lowest priority first, then the most recently started",
		snap: Snapshot{Nodes: full, Running: running, Queues: preemptive, Queue: in("q", "alice", high(tasks(1, 1, 1, "")))},
		want: Plan{
			Preemptions: []Preemption{preempted(902, 101, why(1, "high"))},
			Unplaced:    []Unplaced{unplaced(101, held("waiting for 1 preempted task to stop"))},
		},
	}, {
		name: "as many as it takes, the cheapest node's set",
		snap: Snapshot{Nodes: full, Running: running, Queues: preemptive, Queue: in("q", "alice", high(tasks(1, 1, 2, "")))},
		want: Plan{
			// n1: 902 and 901 (both low); n2: 904 alone, but normal.
			Preemptions: []Preemption{preempted(902, 101, why(1, "high")), preempted(901, 101, why(1, "high"))},
			Unplaced:    []Unplaced{unplaced(101, held("waiting for 2 preempted tasks to stop"))},
		},
	}, {
		name: "a victim is picked once per cycle",
		snap: Snapshot{Nodes: full, Running: running, Queues: preemptive,
			Queue: concat(in("q", "alice", high(tasks(1, 1, 1, ""))), in("q", "alice", tasks(2, 2, 1, "")))},
		want: Plan{
			// Job 2 (normal) may take the other low task, then nothing.
			Preemptions: []Preemption{preempted(902, 101, why(1, "high")), preempted(901, 201, why(2, "normal"))},
			Unplaced: []Unplaced{
				unplaced(101, held("waiting for 1 preempted task to stop")),
				unplaced(201, held("waiting for 1 preempted task to stop")),
				unplaced(202, reason(2, "not enough cpu (needs 1 cpu, most free 0)")),
			},
		},
	}, {
		name: "only lower priority, only the same queue",
		snap: Snapshot{Nodes: full, Queues: preemptive,
			Running: []Running{run(901, "q", "bob", api.PriorityNormal, 4, -time.Hour, 0, "n1"),
				run(902, "other", "bob", api.PriorityLow, 4, -time.Hour, 0, "n2")},
			Queue: in("q", "alice", tasks(1, 1, 1, ""))},
		want: Plan{Unplaced: []Unplaced{unplaced(101, reason(2, "not enough cpu (needs 1 cpu, most free 0)"))}},
	}, {
		name: "not in a queue without preemption",
		snap: Snapshot{Nodes: full, Running: running, Queue: in("q", "alice", high(tasks(1, 1, 1, "")))},
		want: Plan{Unplaced: []Unplaced{unplaced(101, reason(2, "not enough cpu (needs 1 cpu, most free 0)"))}},
	}, {
		name: "not again while its victims stop",
		snap: Snapshot{Nodes: full, Running: running, Queues: preemptive,
			Queue: func() []QueuedTask { q := in("q", "alice", high(tasks(1, 1, 1, ""))); q[0].Preempting = true; return q }()},
		want: Plan{Unplaced: []Unplaced{unplaced(101, held("waiting for preempted tasks to stop"))}},
	}, {
		name: "when no node has a free slot, only queues with preemption are looked at",
		snap: Snapshot{Nodes: []Node{node("n1", 0, "8GiB", 0)}, Queues: preemptive,
			Running: []Running{run(901, "q", "bob", api.PriorityLow, 1, -time.Hour, 0, "n1")},
			Queue:   concat(high(in("other", "alice", tasks(1, 1, 1, ""))), in("q", "alice", tasks(2, 2, 1, "")))},
		want: Plan{
			Preemptions: []Preemption{preempted(901, 201, why(2, "normal"))},
			Unplaced: []Unplaced{
				unplaced(101, reason(1, "no free node")),
				unplaced(201, held("waiting for 1 preempted task to stop")),
				unplaced(202, reason(1, "no free node")),
			},
		},
	}, {
		name: "a multi-node task takes victims on as many nodes",
		snap: Snapshot{Nodes: full, Running: running, Queues: preemptive,
			Queue: in("q", "alice", high(spanning(2, true, tasks(1, 1, 4, ""))))},
		want: Plan{
			Preemptions: []Preemption{
				preempted(904, 101, why(1, "high")),
				preempted(902, 101, why(1, "high")), preempted(901, 101, why(1, "high")), preempted(903, 101, why(1, "high")),
			},
			Unplaced: []Unplaced{unplaced(101, held("waiting for 4 preempted tasks to stop"))},
		},
	}, {
		name: "victims it fits without are spared",
		snap: Snapshot{Nodes: []Node{node("n1", 0, "8GiB", 4)}, Queues: preemptive,
			Running: []Running{
				run(901, "q", "bob", api.PriorityLow, 2, -2*time.Hour, 0, "n1"),
				run(902, "q", "bob", api.PriorityLow, 1, -time.Hour, 0, "n1"),
				run(903, "q", "bob", api.PriorityLow, 1, -30*time.Minute, 0, "n1"),
			},
			Queue: in("q", "alice", high(tasks(1, 1, 3, "")))},
		want: Plan{
			// 903, 902, then 901 make room for 3 cores; 903 and 901 are enough.
			Preemptions: []Preemption{preempted(903, 101, why(1, "high")), preempted(901, 101, why(1, "high"))},
			Unplaced:    []Unplaced{unplaced(101, held("waiting for 2 preempted tasks to stop"))},
		},
	}, {
		name: "the room the preempting task will need is held for it",
		snap: Snapshot{Nodes: []Node{node("n1", 1, "8GiB", 4)}, Queues: preemptive,
			Running: []Running{run(901, "q", "bob", api.PriorityLow, 1, -time.Hour, 0, "n1")},
			Queue:   concat(in("q", "alice", high(tasks(1, 1, 2, ""))), in("other", "carol", tasks(2, 1, 1, "")))},
		want: Plan{
			// 901 frees 1 core; the other core job 1 needs is free now: job 2 may not take it.
			Preemptions: []Preemption{preempted(901, 101, why(1, "high"))},
			Unplaced: []Unplaced{
				unplaced(101, held("waiting for 1 preempted task to stop")),
				unplaced(201, reason(1, "not enough cpu (needs 1 cpu, most free 0)")),
			},
		},
	}, {
		name: "FIFO: the preempting task holds up its queue",
		snap: Snapshot{Nodes: full, Running: running, Queues: []Queue{{Name: "q", Preemption: true}},
			Queue: concat(in("q", "alice", high(tasks(1, 1, 1, ""))), in("q", "alice", high(tasks(2, 1, 1, ""))))},
		want: Plan{
			Preemptions: []Preemption{preempted(902, 101, why(1, "high"))},
			Unplaced: []Unplaced{
				unplaced(101, held("waiting for 1 preempted task to stop")),
				unplaced(201, held("waiting behind job 1 task t0 (queue q is first in, first out)")),
			},
		},
	}})
}

// TestOneVictimIsTheCheapest: whenever the shortcut finds a single
// victim, the full search over every node finds the same, on random
// snapshots.
func TestOneVictimIsTheCheapest(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	shortcuts := 0
	for i := range 5000 {
		s := randomDepth(r)
		c := newCycle(s.Nodes)
		c.now, c.running = s.Now, s.Running
		qs := newQueues(&s)
		for _, task := range s.Queue {
			if task.Nodes > 1 {
				continue
			}
			q := qs.get(task.Queue)
			q.cfg.Preemption = true
			if !q.mayPreempt(c, task.Priority) {
				continue
			}
			need := shape{task.MilliCPU, task.Memory}
			one, ok := c.oneVictim(&task, q, need, nil)
			if !ok {
				continue
			}
			one.victims = slices.Clone(one.victims)
			all, ok := c.searchVictims(&task, q, need)
			if !ok || all.node != one.node || !slices.Equal(all.victims, one.victims) || all.freed != one.freed {
				t.Fatalf("case %d, task %d: the shortcut picks %+v, the search %+v (found %v)", i, task.TaskID, one, all, ok)
			}
			shortcuts++
		}
	}
	if shortcuts < 500 {
		t.Fatalf("only %d shortcuts checked", shortcuts)
	}
}
