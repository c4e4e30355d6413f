package server

import (
	"cmp"
	"slices"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
)

// runningAttempt is the index entry of a RUNNING attempt: what the
// scheduler's snapshot lists (Snapshot.Running), and what fair share
// charges when it ends.
type runningAttempt struct {
	t        *taskState
	key      api.TaskKey
	nodes    []string // rec.Node first, then the others of a multi-node task
	start    time.Time
	queue    string
	user     string
	milliCPU int64
}

// noteRunning brings the index of running attempts up to date with the
// tasks a change wrote: every change of a task's state is written
// (c.task), so it is the one place that sees attempts start and end. An
// attempt that ended is charged to fair share, and the holds of a
// multi-node attempt are stopped along with it. Called with s.mu held,
// from seal.
func (s *Server) noteRunning(c *change) {
	if len(c.m.Tasks) == 0 {
		return
	}
	now := s.now()
	for i := range c.m.Tasks {
		id := c.m.Tasks[i].ID
		t := s.tasks[id]
		ra, was := s.running[id]
		runs := t != nil && api.TaskState(t.rec.State) == api.TaskRunning
		if was && (!runs || t.key() != ra.key) {
			delete(s.running, id)
			s.attemptEnded(ra, now, c)
		}
		if runs && (!was || t.key() != ra.key) {
			s.running[id] = s.runningEntry(t)
		}
	}
}

// runningEntry is the index entry of t's current attempt. Called with
// s.mu held.
func (s *Server) runningEntry(t *taskState) *runningAttempt {
	start := s.now()
	if t.rec.DispatchedAt != nil {
		start = *t.rec.DispatchedAt
	}
	return &runningAttempt{
		t: t, key: t.key(), nodes: t.slotNodes(), start: start,
		queue: t.qt.Queue, user: t.qt.User, milliCPU: t.qt.MilliCPU,
	}
}

// attemptEnded charges an attempt that is over to fair share (its CPUs
// on every node for the time it ran) and stops the rest of a multi-node
// attempt: the nodes it still holds (a kill is harmless where it already
// stopped). Called with s.mu held.
func (s *Server) attemptEnded(ra *runningAttempt, now time.Time, c *change) {
	if d := now.Sub(ra.start); d > 0 {
		s.fair.Charge(ra.queue, ra.user, float64(ra.milliCPU)/1000*float64(len(ra.nodes))*d.Seconds(), now)
	}
	if len(ra.nodes) < 2 {
		return
	}
	t := ra.t
	ref := api.TaskRef{TaskID: ra.key.TaskID, Attempt: ra.key.Attempt, JobID: t.rec.JobID, Task: t.rec.Name}
	for i, n := range ra.nodes {
		if !slices.Contains(ra.nodes[:i], n) { // once per node, however many slots
			c.kill(n, ref)
		}
	}
	if t.key() != ra.key || api.TaskState(t.rec.State) != api.TaskRunning {
		t.rec.Others = nil
	}
}

// snapshotRunning lists the running attempts for the scheduler, in task
// order, in a table reused from cycle to cycle. Called with s.mu held.
func (s *Server) snapshotRunning() []scheduler.Running {
	out := s.runBuf[:0]
	for _, ra := range s.running {
		r := scheduler.Running{
			TaskID: ra.key.TaskID, JobID: ra.t.rec.JobID, Queue: ra.queue, User: ra.user,
			Priority: ra.t.qt.Priority, MilliCPU: ra.milliCPU, Memory: ra.t.qt.Memory,
			Nodes: ra.nodes, Start: ra.start,
		}
		if w := ra.t.qt.Walltime; w > 0 {
			r.End = ra.start.Add(w)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b scheduler.Running) int { return cmp.Compare(a.TaskID, b.TaskID) })
	s.runBuf = out
	return out
}
