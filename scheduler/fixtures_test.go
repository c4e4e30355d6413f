package scheduler

import (
	"fmt"
	"slices"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// The vocabulary of the scheduling tables:
//
//	nodes(2, 4, "8GiB")            n1, n2: 4 cores, 8GiB, defaultSlots slots free each
//	node("big", 16, "64GiB", 1)    one node with one free slot
//	unavailable("down", node(...)) a node that takes no work
//	tasks(7, 3, 1, "2GiB")         job 7: three tasks of 1 core and 2GiB, ids 701, 702, 703
//	high(tasks(...))               the same tasks at high priority
//	placed(701, "n1"), unplaced(702, reason(2, "no free slot"))

const defaultSlots = 16

// node is one available node with cpu cores, mem and slots free.
func node(name string, cpu float64, mem string, slots int) Node {
	return Node{Name: name, MilliCPU: milli(cpu), Memory: bytes(mem), Slots: slots}
}

// nodes is n identical nodes named n1..nN with defaultSlots slots each.
func nodes(n int, cpu float64, mem string) []Node {
	out := make([]Node, n)
	for i := range out {
		out[i] = node(fmt.Sprintf("n%d", i+1), cpu, mem, defaultSlots)
	}
	return out
}

// unavailable marks nodes as taking no work, for reason why.
func unavailable(why string, ns ...Node) []Node {
	out := make([]Node, len(ns))
	for i, n := range ns {
		n.Unavailable = why
		out[i] = n
	}
	return out
}

// tasks is n tasks of job at normal priority, ids job*100+1 onwards.
func tasks(job int64, n int, cpu float64, mem string) []QueuedTask {
	out := make([]QueuedTask, n)
	for i := range out {
		out[i] = QueuedTask{
			TaskID: job*100 + int64(i) + 1, JobID: job, Index: i, Name: fmt.Sprintf("t%d", i),
			Priority: api.PriorityNormal, MilliCPU: milli(cpu), Memory: bytes(mem),
		}
	}
	return out
}

// high and low change the priority of ts.
func high(ts []QueuedTask) []QueuedTask { return withPriority(api.PriorityHigh, ts) }
func low(ts []QueuedTask) []QueuedTask  { return withPriority(api.PriorityLow, ts) }

func withPriority(p api.Priority, ts []QueuedTask) []QueuedTask {
	out := make([]QueuedTask, len(ts))
	for i, t := range ts {
		t.Priority = p
		out[i] = t
	}
	return out
}

// concat joins fixtures: concat(nodes(...), unavailable(...)).
func concat[T any](parts ...[]T) []T {
	var out []T
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func placed(id int64, node string) Placement { return Placement{TaskID: id, Node: node} }

func unplaced(id int64, rs ...Reason) Unplaced { return Unplaced{TaskID: id, Reasons: rs} }

func reason(count int, msg string) Reason { return Reason{Count: count, Message: msg} }

func milli(cpu float64) int64 { return api.Resources{CPU: cpu}.MilliCPU() }

func bytes(s string) int64 {
	if s == "" {
		return 0
	}
	b, err := api.ParseByteSize(s)
	if err != nil {
		panic(err)
	}
	return int64(b)
}

// The vocabulary of queues, running work and time:
//
//	in("short", "alice", tasks(...))  the tasks of alice's job in queue short
//	walltime(time.Hour, tasks(...))    tasks with a walltime
//	spanning(4, true, tasks(...))      multi-node tasks: 4 nodes, distinct hosts
//	run(901, "short", "bob", api.PriorityLow, 2, -time.Hour, 0, "n1")
//	                                   an attempt of 2 cores and no memory, started
//	                                   an hour before t0, with no end, on n1

// t0 is the decision time of the tables.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func in(queue, user string, ts []QueuedTask) []QueuedTask {
	out := slices.Clone(ts)
	for i := range out {
		out[i].Queue, out[i].User = queue, user
	}
	return out
}

func walltime(d time.Duration, ts []QueuedTask) []QueuedTask {
	out := slices.Clone(ts)
	for i := range out {
		out[i].Walltime = d
	}
	return out
}

func spanning(n int, distinct bool, ts []QueuedTask) []QueuedTask {
	out := slices.Clone(ts)
	for i := range out {
		out[i].Nodes, out[i].DistinctHosts = n, distinct
	}
	return out
}

// run is a running attempt (JobID 9, TaskID id) that started at t0+start
// and ends at t0+end (0: never).
func run(id int64, queue, user string, p api.Priority, cpu float64, start, end time.Duration, nodes ...string) Running {
	r := Running{TaskID: id, JobID: 9, Queue: queue, User: user, Priority: p, MilliCPU: milli(cpu),
		Nodes: nodes, Start: t0.Add(start)}
	if end != 0 {
		r.End = t0.Add(end)
	}
	return r
}

func placedOn(id int64, node string, others ...string) Placement {
	return Placement{TaskID: id, Node: node, Others: others}
}

func preempted(victim, forTask int64, why string) Preemption {
	return Preemption{TaskID: victim, For: forTask, Reason: why}
}

// held is a reason counted on no node: a quota, a FIFO wait, preemption.
func held(msg string) Reason { return Reason{Count: 0, Message: msg} }
