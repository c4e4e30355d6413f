package server

import (
	"cmp"
	"slices"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rm"
	"github.com/shrike-grid/shrike/scheduler"
)

// Multi-node tasks (nodes: N in the job file) get N slots at once, all or
// none. The scheduler may pack several slots on one node
// (Placement.Others names a node once per slot). The first slot's node
// runs the task, with the list of every slot's node (StartTask.Nodes);
// each other node gets a hold (StartTask.Hold) that keeps its slots and
// runs nothing until `shrike task exec` starts processes in it. One
// reservation per node carries all the attempt's slots there.
//
// The attempt is one: when it ends on its first node, or is killed,
// preempted or lost, every hold is killed (attemptEnded), and each node's
// reservation is released when the node reports the hold over (or stops
// listing it). A hold that ends while the attempt runs, or whose node goes
// DOWN, loses the attempt like a node loss: it is queued again without
// counting against max_attempts. The attempt's other nodes are stored
// with its task row (TaskRecord.Others), so a server restart re-attaches
// a running multi-node attempt, holds included, like any other.

// nodeSlots is one node of a placement and how many slots it gets there.
type nodeSlots struct {
	name  string
	count int
}

// slotsOf groups a placement's slots by node, its first node first.
func slotsOf(pl scheduler.Placement) []nodeSlots {
	out := []nodeSlots{{pl.Node, 1}}
	for _, o := range pl.Others {
		if i := slices.IndexFunc(out, func(ns nodeSlots) bool { return ns.name == o }); i >= 0 {
			out[i].count++
		} else {
			out = append(out, nodeSlots{o, 1})
		}
	}
	return out
}

// slotNodes are all the slots' nodes of t's current attempt, its first
// node first (a node once per slot).
func (t *taskState) slotNodes() []string { return append([]string{t.rec.Node}, t.rec.Others...) }

// onNode reports whether t's current attempt runs on node or holds slots
// there.
func (t *taskState) onNode(node string) bool {
	return node == t.rec.Node || slices.Contains(t.rec.Others, node)
}

// holdsOn reports whether t's current attempt holds slots on node besides
// running on its first node.
func (t *taskState) holdsOn(node string) bool {
	return node != t.rec.Node && slices.Contains(t.rec.Others, node)
}

// allocOn is the reservation t's current attempt holds on node: one slot,
// or as many as its placement put there.
func allocOn(t *taskState, node string, dispatched time.Time) rm.Alloc {
	a := allocFor(t, dispatched)
	count := 0
	if node == t.rec.Node {
		count++
	}
	for _, n := range t.rec.Others {
		if n == node {
			count++
		}
	}
	if count > 1 {
		a.MilliCPU, a.Memory, a.Slots = a.MilliCPU*int64(count), a.Memory*int64(count), count
	}
	return a
}

// checkSlots re-checks a placement against the current state: it has as
// many slots as the task needs, each node is there with room for its
// slots and may run the task, and with distinct_hosts every slot is on a
// host of its own. It returns the nodes, in slotsOf order, or nil.
// Called with s.mu held.
func (s *Server) checkSlots(t *taskState, slots []nodeSlots) []*rm.Node {
	total := 0
	for _, sl := range slots {
		total += sl.count
	}
	if total != max(1, t.spec.Nodes) {
		return nil
	}
	cpu, mem := t.spec.Resources.MilliCPU(), int64(t.spec.Resources.Memory)
	nodes := make([]*rm.Node, len(slots))
	var hosts map[string]bool
	if t.spec.DistinctHosts {
		hosts = make(map[string]bool, len(slots))
	}
	for i, sl := range slots {
		n := s.reg.Get(sl.name)
		if n == nil || !n.FitsSlots(cpu, mem, sl.count) {
			return nil
		}
		if src := s.sources[n.Source]; src == nil || !s.sourceTakes(src, t) {
			return nil
		}
		if t.spec.DistinctHosts {
			host := cmp.Or(n.Facts.Hostname, n.Name)
			if sl.count > 1 || hosts[host] {
				return nil
			}
			hosts[host] = true
		}
		nodes[i] = n
	}
	return nodes
}

// holdStart is the start message of a hold on one of the other nodes of
// a multi-node attempt, from the start of its first node: the attempt's
// identity, its nodes and the variables exec'd processes get; no program
// and no staging.
func holdStart(st api.StartTask) api.StartTask {
	return api.StartTask{
		TaskRef: st.TaskRef, JobName: st.JobName, Env: st.Env, KillGrace: st.KillGrace,
		Nodes: st.Nodes, Hold: true,
	}
}

// holdEnded handles a result from a node that holds slots for t's current
// attempt: the hold ended while the attempt runs (refused, or stopped on
// the node), so the attempt lost a node. Called with s.mu held.
func (s *Server) holdEnded(t *taskState, node string, r api.TaskResult, c *change) {
	why := "node " + node + " gave up its slots of this multi-node attempt"
	if r.Error != "" {
		why += ": " + r.Error
	}
	s.loseAttempt(t, c, why)
}

// victim is a running attempt preempted for a waiting task, until it has
// stopped: the nodes it occupies keep its reservations until then.
type victim struct {
	key   api.TaskKey
	nodes []string
}

// preempt applies one of the plan's preemptions, if the victim still
// runs: it is stopped (every node of it) and queued again without
// counting against its attempts, with the reason in its events; the task
// it makes room for waits (Preempting) until it has stopped. Called with
// s.mu held.
func (s *Server) preempt(p scheduler.Preemption, c *change) {
	v, waiting := s.tasks[p.TaskID], s.tasks[p.For]
	if v == nil || api.TaskState(v.rec.State) != api.TaskRunning || waiting == nil || !waiting.queued {
		return
	}
	waiting.victims = append(waiting.victims, victim{key: v.key(), nodes: slices.Compact(slices.Sorted(slices.Values(v.slotNodes())))})
	c.kill(v.rec.Node, v.ref())
	s.requeueAttempt(v, p.Reason, c)
}

// preempting reports whether some victim preempted for t still holds a
// node, forgetting the victims once none does. Called with s.mu held.
func (s *Server) preempting(t *taskState) bool {
	for _, v := range t.victims {
		for _, name := range v.nodes {
			if n := s.reg.Get(name); n != nil {
				if _, held := n.Alloc(v.key); held {
					return true
				}
			}
		}
	}
	t.victims = nil
	return false
}
