package scheduler

import (
	"fmt"
	"slices"
)

// Schedule decides which queued tasks start where in this cycle, and
// which running tasks to preempt.
//
// It orders s.Queue with Less and walks it in fair-share order (walk.go):
// higher priority first, then, at one priority, the queue with the least
// effective usage per unit of weight, then that queue's user with the
// least effective usage, then queue order. For each task it checks the
// queue's quotas (queues.go), then filters the nodes (unavailable, no
// free slot, not enough CPU, not enough memory: the cheapest checks first)
// and places the task on the feasible node with the least free CPU (then
// the least free memory, then the name), so that tasks pack onto nodes; a
// multi-node task takes its slots all at once or not at all (multinode.go).
//
// A task that cannot be placed gets an Unplaced entry with the rejection
// reasons counted across nodes. If it is blocked for lack of resources
// (some node could hold it once work ends there), a FIFO queue stops
// there for this cycle, and a backfill queue reserves the earliest start
// for it that later tasks of the queue may not delay (backfill.go). In a
// queue with preemption it may first pick running tasks of lower priority
// to stop (preempt.go).
//
// Two shortcuts keep large queues cheap. A task whose shape (CPU, memory)
// is at least as large as one already rejected this cycle is rejected
// without a scan, with the reasons counted for that earlier shape
// (rendered with its own needs). Once no node has a free slot, the
// remaining tasks are listed with the single reason "no free node" (or, if
// no node takes work at all, the nodes' own reasons), but for queues with
// preemption, whose tasks may still pick victims. Unplaced lists the
// tasks in the order they were decided; those listed together (behind a
// blocked FIFO task, or once the nodes are full) come group by group.
// Unplaced entries may share one Reasons slice: treat it as read-only.
func Schedule(s Snapshot) Plan {
	queue := ordered(s.Queue)
	if len(s.Nodes) == 0 {
		return Plan{Unplaced: appendUnplaced(nil, queue, []Reason{{Count: 0, Message: msgNoNodes}})}
	}
	c := newCycle(s.Nodes)
	c.classes, c.now, c.running = s.Classes, s.Now, s.Running
	if !c.restricted && slices.ContainsFunc(s.Queue, func(t QueuedTask) bool { return len(t.AvoidNodes) > 0 || t.Token != "" }) {
		// Some tasks avoid the nodes they failed on, or request a token
		// (that no node carries: they run nowhere).
		c.restricted = true
	}
	qs := newQueues(&s)
	sc := &scheduling{c: c, qs: qs, queue: queue, walk: newWalk(queue, qs)}
	sc.run()
	return sc.plan
}

// scheduling is one Schedule call.
type scheduling struct {
	c     *cycle
	qs    *queues
	queue []QueuedTask
	walk  *walk
	plan  Plan
	// full is set once no node has a free slot and the queues that
	// cannot preempt were drained.
	full bool
}

func (sc *scheduling) run() {
	for {
		pos, g := sc.walk.peek()
		if pos < 0 {
			return
		}
		if sc.c.full() && !sc.full {
			sc.full = true
			sc.drain(func(q *queueState) bool { return !q.cfg.Preemption }, sc.c.fullReasons())
			continue
		}
		sc.consider(&sc.queue[pos], g.q, g.u)
	}
}

// consider decides for task t, the walk's next, of user u in queue q.
func (sc *scheduling) consider(t *QueuedTask, q *queueState, u *userState) {
	c := sc.c
	if c.full() && !t.Preempting && !q.mayPreempt(c, t.Priority) {
		// Nothing left to preempt for this task or any later one of q.
		sc.drain(func(o *queueState) bool { return o == q }, c.fullReasons())
		return
	}
	if held := q.quota(u, t); held != nil {
		sc.unplace(t, held)
		sc.walk.pop()
		return
	}
	var reasons []Reason
	if c.full() {
		reasons = c.fullReasons()
	} else {
		guard := q.res
		if guard != nil && !guard.delayedBy(t, c.now) {
			guard = nil
		}
		node, others, rs, ok := c.place(t, guard)
		if ok {
			sc.plan.Placements = append(sc.plan.Placements, Placement{TaskID: t.TaskID, Node: node, Others: others})
			q.count(u, t.MilliCPU*int64(max(1, t.Nodes)))
			sc.walk.pop()
			return
		}
		reasons = rs
	}
	blocked := false
	switch {
	case t.Preempting:
		reasons, blocked = preemptingReasons, true
	case q.cfg.Preemption:
		if n := sc.preempt(t, q); n > 0 {
			reasons, blocked = []Reason{{Count: 0, Message: msgPreemptedFor(n)}}, true
		}
	}
	if !blocked && (!q.cfg.Backfill || !q.reserved) {
		blocked = c.couldHold(t)
	}
	sc.unplace(t, reasons)
	sc.walk.pop()
	switch {
	case !blocked:
	case !q.cfg.Backfill:
		sc.drain(func(o *queueState) bool { return o == q }, []Reason{{Count: 0, Message: msgFIFO(t, q.cfg.Name)}})
	case !q.reserved:
		q.reserved = true
		q.res = c.reserve(t)
	}
}

// drain lists every remaining task of the queues drop selects as
// unplaced with reasons.
func (sc *scheduling) drain(drop func(*queueState) bool, reasons []Reason) {
	sc.walk.drain(drop, func(pos int32, _ *group) {
		t := &sc.queue[pos]
		if t.Preempting {
			sc.unplace(t, preemptingReasons)
			return
		}
		sc.unplace(t, reasons)
	})
}

func (sc *scheduling) unplace(t *QueuedTask, reasons []Reason) {
	if sc.plan.Unplaced == nil { // sized once for the rest of the queue: no copies at 1M tasks
		sc.plan.Unplaced = make([]Unplaced, 0, len(sc.queue)-len(sc.plan.Placements))
	}
	sc.plan.Unplaced = append(sc.plan.Unplaced, Unplaced{TaskID: t.TaskID, Reasons: reasons})
}

// appendUnplaced appends every task of q to out with the same reasons.
func appendUnplaced(out []Unplaced, q []QueuedTask, reasons []Reason) []Unplaced {
	out = slices.Grow(out, len(q))
	for _, t := range q {
		out = append(out, Unplaced{TaskID: t.TaskID, Reasons: reasons})
	}
	return out
}

// msgPreempting is the reason of a task whose victims are still stopping.
const msgPreempting = "waiting for preempted tasks to stop"

var preemptingReasons = []Reason{{Count: 0, Message: msgPreempting}}

func msgPreemptedFor(n int) string {
	if n == 1 {
		return "waiting for 1 preempted task to stop"
	}
	return fmt.Sprintf("waiting for %d preempted tasks to stop", n)
}
