package scheduler

import (
	"fmt"

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
