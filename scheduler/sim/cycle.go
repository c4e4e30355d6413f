package sim

import (
	"slices"
	"time"

	"github.com/shrike-grid/shrike/scheduler"
)

// Cycle runs one scheduling cycle at the current virtual time: window,
// snapshot, scheduler.Schedule, and the plan applied. It reports whether
// the plan changed anything (a placement or a preemption), in which case
// another cycle at the same instant may start more.
func (e *Engine) Cycle() bool {
	if e.pending.live == 0 {
		return false
	}
	began := time.Now() // real time, for the statistics only
	snap := e.snapshot()
	sched := time.Now()
	plan := scheduler.Schedule(snap)
	e.stats.ScheduleTotal += time.Since(sched)
	changed := e.applyPlan(plan)
	took := time.Since(began)
	e.stats.Cycles++
	e.stats.CycleTotal += took
	e.stats.CycleMax = max(e.stats.CycleMax, took)
	e.cycleTimes = append(e.cycleTimes, took)
	return changed
}

// snapshot builds the scheduler's input: the window of pending tasks, the
// nodes with what they have free, the queues with their usage, and the
// running attempts.
func (e *Engine) snapshot() scheduler.Snapshot {
	now := Epoch.Add(e.now)
	snap := scheduler.Snapshot{Now: now, Running: e.runs}
	free := 0
	e.snapNodes = slices.Grow(e.snapNodes[:0], len(e.nodes))
	for _, n := range e.nodes {
		free += int(max(n.freeSlot, 0))
		e.snapNodes = append(e.snapNodes, scheduler.Node{Name: n.name, MilliCPU: n.freeCPU, Memory: n.freeMem,
			Slots: int(n.freeSlot), Tokens: n.tags, Host: n.host})
	}
	snap.Nodes = e.snapNodes
	window := min(windowMax, windowBase+windowPerSlot*free)
	if free == 0 {
		window = windowIdle
	}
	e.windowBuf = e.pending.window(e.windowBuf[:0], window)
	e.stats.Window = max(e.stats.Window, len(e.windowBuf))
	e.snapQueue = slices.Grow(e.snapQueue[:0], len(e.windowBuf))
	for _, t := range e.windowBuf {
		e.snapQueue = append(e.snapQueue, scheduler.QueuedTask{TaskID: t.id, JobID: t.job.id, Index: int(t.index),
			Name: t.name(), Priority: t.job.priority, MilliCPU: t.spec.milliCPU, Memory: t.spec.memory,
			Token: t.spec.token, User: t.job.user, Queue: t.job.queue, Walltime: t.spec.walltime,
			Nodes: t.spec.nodes, DistinctHosts: t.spec.distinctHosts})
	}
	snap.Queue = e.snapQueue
	e.fair.Fill(e.queues, now)
	snap.Queues = e.queues
	snap.HalfLife = e.fair.HalfLife()
	return snap
}

// applyPlan applies a plan as the server's plan applier does: preemptions
// first (the victims' nodes are freed), then placements, each re-checked
// against what the nodes have free; a placement that no longer fits is
// refused and counted. Waiting reasons are logged when a log is kept.
func (e *Engine) applyPlan(plan scheduler.Plan) bool {
	changed := false
	for _, p := range plan.Preemptions {
		if t := e.task(p.TaskID); t != nil && t.att != nil {
			e.preempt(t.att, p.Reason)
			changed = true
		}
	}
	for _, pl := range plan.Placements {
		t := e.task(pl.TaskID)
		if t == nil || !t.queued {
			e.stats.Refused++
			continue
		}
		a := &attempt{task: t}
		nodes := a.one[:0]
		if len(pl.Others) > 0 {
			nodes = make([]*node, 0, 1+len(pl.Others))
		}
		if n := e.nodeByID[pl.Node]; n != nil {
			nodes = append(nodes, n)
		}
		for _, name := range pl.Others {
			if n := e.nodeByID[name]; n != nil {
				nodes = append(nodes, n)
			}
		}
		if len(nodes) != 1+len(pl.Others) || !fits(t, nodes) {
			e.stats.Refused++
			e.taskf(t, "placement on %s refused: it no longer fits", pl.Node)
			continue
		}
		a.nodes = nodes
		e.start(a)
		changed = true
	}
	if e.Log != nil {
		for _, u := range plan.Unplaced {
			if t := e.task(u.TaskID); t != nil && t.queued {
				e.waited(t, u.Reasons)
			}
		}
	}
	return changed
}

// fits reports whether t's needs fit on each of nodes (a node listed
// twice must have room for both).
func fits(t *task, nodes []*node) bool {
	for i, n := range nodes {
		k := int64(0)
		for _, m := range nodes[:i+1] {
			if m == n {
				k++
			}
		}
		if n.freeSlot < k || n.freeCPU < k*t.spec.milliCPU || n.freeMem < k*t.spec.memory {
			return false
		}
	}
	return true
}
