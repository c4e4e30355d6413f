package rm

import (
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// Alloc is what one running task attempt holds on its node.
type Alloc struct {
	JobID        int64
	Task         string
	MilliCPU     int64
	Memory       int64
	DispatchedAt time.Time
	// Slots is how many of the node's slots the attempt holds: more than
	// one when a multi-node task packs several of its slots on the node
	// (MilliCPU and Memory are then the total). 0 means 1.
	Slots int
}

// slots is how many slots a holds.
func (a Alloc) slots() int { return max(a.Slots, 1) }

// Node is the registry's record of one node.
type Node struct {
	Name         string
	Instance     string // changes every time the agent process restarts
	Facts        api.NodeFacts
	State        api.NodeState
	RegisteredAt time.Time
	LastSeen     time.Time
	// Unconfirmed is set on nodes restored from the store at server start
	// until they are heard from: they get no work before that.
	Unconfirmed bool
	// Lock, when set, keeps the node from new work; running tasks go on.
	Lock *api.NodeLock
	// Draining: no new work; the node can be removed once it is empty.
	Draining bool
	// Source is the node source the node belongs to.
	Source string
	// Handle is the infrastructure's reference to the deployed agent.
	Handle string
	// StateSince is when the node entered State.
	StateSince time.Time
	// Withheld, when set, is why the source's policy keeps the node from
	// new work now (outside a time slot, owner at the workstation).
	Withheld string
	// Suspended is when the node's tasks were suspended (zero: running).
	Suspended time.Time
	// Owner is the latest workstation owner reading.
	Owner *api.OwnerReading
	// IdleSince is when the node last became empty (or registered).
	IdleSince time.Time
	// Info is why the node is in its state (LOST, TO_BE_REMOVED).
	Info string
	// FactsGen changes whenever the facts reported at registration change;
	// LoadGen whenever a heartbeat brings new free memory, load or free
	// disk. Cached selection verdicts are keyed by them.
	FactsGen, LoadGen uint64

	allocs       map[api.TaskKey]Alloc
	usedMilliCPU int64
	usedMemory   int64
	usedSlots    int
}

// CapacityMilliCPU is the node's CPU in thousandths of a core.
func (n *Node) CapacityMilliCPU() int64 { return int64(n.Facts.CPUs) * 1000 }

// Slots is how many attempts the node runs at once.
func (n *Node) Slots() int {
	if n.Facts.Slots > 0 {
		return n.Facts.Slots
	}
	return max(n.Facts.CPUs, 1)
}

// Free returns the node's unreserved CPU, memory and slots.
func (n *Node) Free() (milliCPU, memory int64, slots int) {
	return n.CapacityMilliCPU() - n.usedMilliCPU, n.Facts.MemoryTotal - n.usedMemory, n.Slots() - n.usedSlots
}

// Alive reports whether the node's agent is connected: registered and
// heard from (CONFIGURING, FREE, BUSY, or TO_BE_REMOVED while it finishes
// its tasks).
func (n *Node) Alive() bool {
	switch n.State {
	case api.NodeConfiguring, api.NodeFree, api.NodeBusy, api.NodeToBeRemoved:
		return true
	}
	return false
}

// Gone reports whether the node is DOWN or LOST.
func (n *Node) Gone() bool { return n.State == api.NodeDown || n.State == api.NodeLost }

// SetState moves the node to st (recording when); a no-op if it is there.
func (n *Node) SetState(st api.NodeState, now time.Time) {
	if n.State != st {
		n.State, n.StateSince = st, now
	}
}

// Schedulable reports whether the node may receive new work now.
func (n *Node) Schedulable() bool { return n.Unavailable() == "" }

// Unavailable says why the node may not receive new work, or "".
func (n *Node) Unavailable() string {
	switch {
	case n.State == api.NodeDown:
		return "node is down"
	case n.State == api.NodeLost:
		return "node is lost"
	case n.State == api.NodeDeploying:
		return "node is being deployed"
	case n.State == api.NodeConfiguring:
		return "node is being configured"
	case n.State == api.NodeToBeRemoved:
		return "node is being removed"
	case n.Unconfirmed:
		return "node has not reconnected since the server started"
	case n.Lock != nil:
		if n.Lock.Reason != "" {
			return "locked by " + n.Lock.By + ": " + n.Lock.Reason
		}
		return "locked by " + n.Lock.By
	case n.Draining:
		return "draining"
	case !n.Suspended.IsZero():
		return "suspended: " + n.Withheld
	case n.Withheld != "":
		return n.Withheld
	}
	return ""
}

// Running is how many attempts the node holds.
func (n *Node) Running() int { return len(n.allocs) }

// Empty reports whether the node runs nothing (a draining node that is
// empty can be removed without stopping anything).
func (n *Node) Empty() bool { return len(n.allocs) == 0 }

// Fits reports whether an attempt needing milliCPU and memory fits now.
func (n *Node) Fits(milliCPU, memory int64) bool { return n.FitsSlots(milliCPU, memory, 1) }

// FitsSlots reports whether count slots, each needing milliCPU and
// memory, fit now (a multi-node task's slots on one node).
func (n *Node) FitsSlots(milliCPU, memory int64, count int) bool {
	cpu, mem, slots := n.Free()
	return n.Schedulable() && slots >= count && cpu >= milliCPU*int64(count) && mem >= memory*int64(count)
}

// Allocate reserves resources for an attempt. Allocating the same attempt
// twice keeps one reservation.
func (n *Node) Allocate(key api.TaskKey, a Alloc) {
	if n.allocs == nil {
		n.allocs = make(map[api.TaskKey]Alloc)
	}
	if _, ok := n.allocs[key]; ok {
		return
	}
	n.allocs[key] = a
	n.usedMilliCPU += a.MilliCPU
	n.usedMemory += a.Memory
	n.usedSlots += a.slots()
	n.refreshState()
}

// Release frees an attempt's reservation; it reports whether there was one.
func (n *Node) Release(key api.TaskKey) (Alloc, bool) {
	a, ok := n.allocs[key]
	if !ok {
		return Alloc{}, false
	}
	delete(n.allocs, key)
	n.usedMilliCPU -= a.MilliCPU
	n.usedMemory -= a.Memory
	n.usedSlots -= a.slots()
	n.refreshState()
	if len(n.allocs) == 0 {
		n.IdleSince = n.LastSeen
	}
	return a, true
}

// Allocs returns the attempts the node holds, ordered by task ID.
func (n *Node) Allocs() []api.TaskKey {
	keys := make([]api.TaskKey, 0, len(n.allocs))
	for k := range n.allocs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b api.TaskKey) int {
		if a.TaskID != b.TaskID {
			return int(a.TaskID - b.TaskID)
		}
		return a.Attempt - b.Attempt
	})
	return keys
}

// Alloc returns the reservation of one attempt.
func (n *Node) Alloc(key api.TaskKey) (Alloc, bool) {
	a, ok := n.allocs[key]
	return a, ok
}

// refreshState keeps FREE/BUSY in step with the allocations; the other
// states stay.
func (n *Node) refreshState() {
	if n.State != api.NodeFree && n.State != api.NodeBusy {
		return
	}
	st := api.NodeFree
	if cpu, _, slots := n.Free(); slots <= 0 || cpu <= 0 {
		st = api.NodeBusy
	}
	n.SetState(st, n.LastSeen)
}

// Confirm ends CONFIGURING (the node's first heartbeat arrived): the node
// becomes FREE or BUSY.
func (n *Node) Confirm(now time.Time) {
	if n.State == api.NodeConfiguring {
		n.SetState(api.NodeFree, now)
		n.refreshState()
	}
}

// View is the REST view of the node.
func (n *Node) View() api.Node {
	running := make([]api.TaskRef, 0, len(n.allocs))
	for _, k := range n.Allocs() {
		a := n.allocs[k]
		running = append(running, api.TaskRef{TaskID: k.TaskID, Attempt: k.Attempt, JobID: a.JobID, Task: a.Task})
	}
	seen := n.LastSeen
	v := api.Node{
		ID: n.Name, Name: n.Name, State: n.State,
		Hostname: n.Facts.Hostname, OS: n.Facts.OS, Arch: n.Facts.Arch,
		CPUs: n.Facts.CPUs, Memory: n.Facts.MemoryTotal, MemoryFree: n.Facts.MemoryFree,
		Load1: n.Facts.Load1, Slots: n.Slots(), Tags: append([]string{}, n.Facts.Tags...),
		Version: n.Facts.Version, RunningTasks: running,
		UsedCPU: float64(n.usedMilliCPU) / 1000, UsedMemory: n.usedMemory,
		RegisteredAt: n.RegisteredAt, LastSeen: &seen,
		Locked: n.lockCopy(), Draining: n.Draining,
		Source: n.Source, StateSince: n.StateSince, Suspended: !n.Suspended.IsZero(),
		Withheld: n.Withheld, Owner: n.Owner,
	}
	if n.LastSeen.IsZero() {
		v.LastSeen = nil
	}
	return v
}

func (n *Node) lockCopy() *api.NodeLock {
	if n.Lock == nil {
		return nil
	}
	l := *n.Lock
	return &l
}

// Registry holds every known node. It is not safe for concurrent use: the
// caller holds its own lock.
type Registry struct {
	nodes map[string]*Node
	list  []*Node // sorted by name, kept so as nodes are added or removed
	// layout counts additions and removals: two Nodes() calls with the
	// same Layout list the same nodes in the same order.
	layout uint64
}

// Layout changes whenever a node is added or removed.
func (r *Registry) Layout() uint64 { return r.layout }

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{nodes: make(map[string]*Node)} }

// Get returns a node by name, or nil.
func (r *Registry) Get(name string) *Node { return r.nodes[name] }

// Len is the number of known nodes.
func (r *Registry) Len() int { return len(r.nodes) }

// AppendNodes appends every node, ordered by name, to buf.
func (r *Registry) AppendNodes(buf []*Node) []*Node {
	return append(buf, r.list...)
}

// Nodes returns every node ordered by name.
func (r *Registry) Nodes() []*Node {
	return slices.Clone(r.list)
}

// Add records a node that has not registered yet (DEPLOYING), or returns
// the node of that name if there is one.
func (r *Registry) Add(name, source string, now time.Time) *Node {
	if n := r.nodes[name]; n != nil {
		return n
	}
	n := &Node{Name: name, Source: source, State: api.NodeDeploying, StateSince: now}
	r.nodes[name] = n
	i, _ := slices.BinarySearchFunc(r.list, name, func(e *Node, name string) int { return strings.Compare(e.Name, name) })
	r.list = slices.Insert(r.list, i, n)
	r.layout++
	return n
}

// Register records a node's (re-)registration and returns it: it is
// CONFIGURING until Confirm (its first heartbeat), or stays TO_BE_REMOVED.
// Its allocations are kept: the caller reconciles them with what the node
// reports it runs.
func (r *Registry) Register(name, instance string, facts api.NodeFacts, now time.Time) *Node {
	n := r.Add(name, "", now)
	n.Instance = instance
	if n.FactsGen == 0 || !sameFacts(n.Facts, facts) {
		n.FactsGen++
		n.LoadGen++
	}
	n.Facts = facts
	n.LastSeen = now
	n.Unconfirmed = false
	if n.RegisteredAt.IsZero() {
		n.RegisteredAt = now
	}
	if len(n.allocs) == 0 {
		n.IdleSince = now
	}
	if n.State != api.NodeToBeRemoved {
		n.SetState(api.NodeConfiguring, now)
	}
	return n
}

// Restore puts back a node loaded from the store at server start. Its
// LastSeen is set to now, which gives it one heartbeat timeout to come
// back before it is declared DOWN. Nodes that were connected come back
// FREE (or BUSY once their attempts are re-attached) but Unconfirmed.
func (r *Registry) Restore(name, instance string, facts api.NodeFacts, state api.NodeState, registeredAt, now time.Time) *Node {
	n := r.Add(name, "", now)
	n.Instance, n.Facts, n.LastSeen, n.RegisteredAt, n.IdleSince = instance, facts, now, registeredAt, now
	n.FactsGen, n.LoadGen = 1, 1
	n.Unconfirmed = true
	switch state {
	case api.NodeFree, api.NodeBusy, api.NodeConfiguring:
		n.State = api.NodeFree
	default:
		n.State = state
	}
	return n
}

// Remove forgets a node and returns the attempts it held (released).
func (r *Registry) Remove(name string) map[api.TaskKey]Alloc {
	n := r.nodes[name]
	if n == nil {
		return nil
	}
	delete(r.nodes, name)
	r.list = slices.DeleteFunc(r.list, func(e *Node) bool { return e.Name == name })
	r.layout++
	return n.allocs
}

// Heartbeat records that the node is alive, with its fresh load figures
// and free disk.
func (r *Registry) Heartbeat(n *Node, memFree int64, load1 float64, diskFree int64, now time.Time) {
	n.LastSeen = now
	n.Unconfirmed = false
	n.Confirm(now)
	if n.Facts.MemoryFree != memFree || n.Facts.Load1 != load1 || n.Facts.DiskFree != diskFree {
		n.LoadGen++
	}
	n.Facts.MemoryFree = memFree
	n.Facts.Load1 = load1
	n.Facts.DiskFree = diskFree
}

// sameFacts compares the facts a registration reports, leaving out those
// heartbeats refresh (free memory, load, free disk).
func sameFacts(a, b api.NodeFacts) bool {
	a.MemoryFree, a.Load1, a.DiskFree = 0, 0, 0
	b.MemoryFree, b.Load1, b.DiskFree = 0, 0, 0
	return reflect.DeepEqual(a, b)
}

// Expired returns the alive nodes whose last heartbeat is older than
// timeout at now, ordered by name.
func (r *Registry) Expired(now time.Time, timeout time.Duration) []*Node {
	var out []*Node
	for _, n := range r.list {
		if n.Alive() && now.Sub(n.LastSeen) > timeout {
			out = append(out, n)
		}
	}
	return out
}

// MarkDown declares a node DOWN and returns the attempts it held, which
// are released: the caller hands them back to the scheduler.
func (r *Registry) MarkDown(n *Node, now time.Time) map[api.TaskKey]Alloc {
	return r.MarkGone(n, api.NodeDown, now)
}

// MarkGone moves a node to DOWN or LOST and returns the attempts it held,
// which are released: the caller hands them back to the scheduler.
func (r *Registry) MarkGone(n *Node, st api.NodeState, now time.Time) map[api.TaskKey]Alloc {
	lost := n.allocs
	n.allocs = nil
	n.usedMilliCPU, n.usedMemory, n.usedSlots = 0, 0, 0
	n.Suspended = time.Time{}
	n.SetState(st, now)
	return lost
}

// TakeAllocs releases and returns every attempt a node holds (a node
// removed or preempted while connected): the caller kills or requeues them.
func (n *Node) TakeAllocs() map[api.TaskKey]Alloc {
	held := n.allocs
	n.allocs = nil
	n.usedMilliCPU, n.usedMemory, n.usedSlots = 0, 0, 0
	n.refreshState()
	return held
}

// Counts returns how many nodes are in each state.
func (r *Registry) Counts() map[api.NodeState]int {
	out := make(map[api.NodeState]int)
	for _, n := range r.nodes {
		out[n.State]++
	}
	return out
}
