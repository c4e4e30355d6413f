package scheduler

import "slices"

// Schedule decides which queued tasks start where in this cycle.
//
// It orders s.Queue with Less and walks it greedily. For each task it
// filters the nodes (unavailable, no free slot, not enough CPU, not enough
// memory: the cheapest checks first) and places the task on the feasible
// node with the least free CPU (then the least free memory, then the
// name), so that tasks pack onto nodes; the node's free resources and slot
// shrink for the rest of the cycle. A task that fits nowhere is skipped,
// so later smaller tasks may still start, and gets an Unplaced entry with
// the rejection reasons counted across nodes.
//
// Two shortcuts keep large queues cheap. A task whose shape (CPU, memory)
// is at least as large as one already rejected this cycle is rejected
// without a scan, with the reasons counted for that earlier shape
// (rendered with its own needs). Once no node has a free slot, the
// remaining tasks are listed with the single reason "no free node" (or, if
// no node takes work at all, the nodes' own reasons). Unplaced entries of
// the same shape may share one Reasons slice: treat it as read-only.
func Schedule(s Snapshot) Plan {
	queue := ordered(s.Queue)
	if len(s.Nodes) == 0 {
		return Plan{Unplaced: appendUnplaced(nil, queue, []Reason{{Count: 0, Message: msgNoNodes}})}
	}
	c := newCycle(s.Nodes)
	c.classes = s.Classes
	if slices.ContainsFunc(s.Queue, func(t QueuedTask) bool { return len(t.AvoidNodes) > 0 }) {
		c.restricted = true // some tasks avoid the nodes they failed on
	}
	var plan Plan
	for i, t := range queue {
		if c.full() {
			plan.Unplaced = appendUnplaced(plan.Unplaced, queue[i:], c.fullReasons())
			break
		}
		if node, reasons, ok := c.place(t); ok {
			plan.Placements = append(plan.Placements, Placement{TaskID: t.TaskID, Node: node})
		} else {
			if plan.Unplaced == nil { // sized once for the rest of the queue: no copies at 1M tasks
				plan.Unplaced = make([]Unplaced, 0, len(queue)-i)
			}
			plan.Unplaced = append(plan.Unplaced, Unplaced{TaskID: t.TaskID, Reasons: reasons})
		}
	}
	return plan
}

// appendUnplaced appends every task of q to out with the same reasons.
func appendUnplaced(out []Unplaced, q []QueuedTask, reasons []Reason) []Unplaced {
	out = slices.Grow(out, len(q))
	for _, t := range q {
		out = append(out, Unplaced{TaskID: t.TaskID, Reasons: reasons})
	}
	return out
}
