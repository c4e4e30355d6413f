package scheduler

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"time"
)

// cycle is the working state of one Schedule call: what the available
// nodes still have free, and the shapes found not to fit.
type cycle struct {
	snap  []Node // the snapshot's nodes (read only)
	nodes []room // available nodes; free resources shrink as tasks are placed
	// open indexes the nodes with a free slot, tightest first (least free
	// CPU, then memory, then name): the first one a task fits on is its
	// best fit.
	open        []int
	total       int      // all nodes of the snapshot, available or not
	unavailable []Reason // the nodes that take no work, counted once
	fullWhy     []Reason // fullReasons, made once
	rejected    shapeCache
	// restricted: some nodes carry tokens or restrict access, so tasks
	// are checked for eligibility and rejected shapes are remembered per
	// eligibility group (byGroup; rejected holds group "").
	restricted bool
	byGroup    map[string]*shapeCache
	classes    []Class

	now     time.Time
	running []Running // the snapshot's (read only)
	// placed are this cycle's placements that end (they have a
	// walltime), for reservations.
	placed []release
	// Built on first use, for reservations, preemption and capacity:
	// the available nodes by name, the running attempts' slots on each,
	// and what each could hold once its running work ended.
	byName   map[string]int
	onNode   [][]int32
	capacity []room
	holds    map[holdKey]bool
	// multiRejected remembers the multi-node tasks that did not fit.
	multiRejected map[holdKey][]Reason
	// picked marks the running attempts chosen as victims this cycle.
	picked        []bool
	victimsSorted bool
	scratch       []int32 // victim buffers, reused
	spare         []int32
}

// room is what an available node still has free during a cycle; the
// rest of the node is read from the snapshot (index), so that a cycle
// copies no strings or slices.
type room struct {
	MilliCPU int64
	Memory   int64
	Slots    int
	index    int // in the snapshot's nodes
}

func newCycle(nodes []Node) *cycle {
	c := &cycle{snap: nodes, total: len(nodes), unavailable: unavailableReasons(nodes),
		nodes: make([]room, 0, len(nodes)), open: make([]int, 0, len(nodes))}
	for i := range nodes {
		n := &nodes[i]
		if n.Unavailable != "" {
			continue
		}
		if n.Slots > 0 {
			c.open = append(c.open, len(c.nodes))
		}
		c.nodes = append(c.nodes, room{MilliCPU: n.MilliCPU, Memory: n.Memory, Slots: n.Slots, index: i})
		if len(n.Tokens) > 0 || len(n.Access) > 0 {
			c.restricted = true
		}
	}
	// Nodes usually come ordered by name and mostly alike, so the open
	// list is often in order already: check before sorting.
	byRoom := func(a, b int) int { return c.compareRoom(&c.nodes[a], &c.nodes[b]) }
	if !slices.IsSortedFunc(c.open, byRoom) {
		slices.SortFunc(c.open, byRoom)
	}
	return c
}

// cache is the rejected-shape cache of t's eligibility group.
func (c *cycle) cache(t *QueuedTask) *shapeCache {
	key := c.groupKey(t)
	if key == "" {
		return &c.rejected
	}
	sc := c.byGroup[key]
	if sc == nil {
		if c.byGroup == nil {
			c.byGroup = map[string]*shapeCache{}
		}
		sc = &shapeCache{}
		c.byGroup[key] = sc
	}
	return sc
}

// groupKey is t's eligibility group: "" when every task sees the same
// nodes.
func (c *cycle) groupKey(t *QueuedTask) string {
	if !c.restricted && t.Class == 0 {
		return ""
	}
	return eligibilityKey(t)
}

// full reports whether no node has a free slot left.
func (c *cycle) full() bool { return len(c.open) == 0 }

// place puts t on the best node it fits on and returns that node's name
// (and the other nodes of a multi-node task). When t fits nowhere it
// returns the reasons instead, and remembers t's shape for the rest of
// the cycle. guard, when not nil, is a backfill reservation t must not
// delay.
func (c *cycle) place(t *QueuedTask, guard *reservation) (node string, others []string, reasons []Reason, ok bool) {
	need := shape{cpu: t.MilliCPU, mem: t.Memory}
	rejected := c.cache(t)
	if r, ok := rejected.covering(need); ok {
		return "", nil, rejected.rendered(need, r.why, c.unavailable), false
	}
	if t.Nodes > 1 {
		if guard != nil {
			return c.placeMulti(t, need, guard)
		}
		// Free room only shrinks: a multi-node shape that did not fit
		// does not fit later in the cycle either.
		key := holdKey{group: c.groupKey(t), need: need, nodes: t.Nodes, distinct: t.DistinctHosts}
		if rs, ok := c.multiRejected[key]; ok {
			return "", nil, rs, false
		}
		node, others, rs, ok := c.placeMulti(t, need, nil)
		if !ok {
			if c.multiRejected == nil {
				c.multiRejected = map[holdKey][]Reason{}
			}
			c.multiRejected[key] = rs
		}
		return node, others, rs, ok
	}
	k := c.bestFit(need, t, guard)
	if k < 0 {
		why := c.tally(need, t, guard)
		if why.reserved > 0 {
			// Not a shape rejection: the task fits, but not without
			// delaying the reservation.
			return "", nil, why.render(need, c.unavailable), false
		}
		rejected.add(rejection{shape: need, why: why})
		return "", nil, rejected.rendered(need, why, c.unavailable), false
	}
	i := c.open[k]
	c.take(i, need, 1, t, guard)
	c.reorder(k)
	return c.snap[c.nodes[i].index].Name, nil, nil, true
}

// take gives k slots of need on node i to t.
func (c *cycle) take(i int, need shape, k int, t *QueuedTask, guard *reservation) {
	n := &c.nodes[i]
	n.MilliCPU -= need.cpu * int64(k)
	n.Memory -= need.mem * int64(k)
	n.Slots -= k
	if guard != nil {
		guard.consume(i, need, k)
	}
	if t.Walltime > 0 { // it gives its room back then, for reservations
		c.placed = append(c.placed, release{node: i, end: c.now.Add(t.Walltime), need: need, slots: k})
	}
}

// bestFit returns the position in open of the tightest node need fits on,
// or -1: the first node with enough CPU and memory that t may use (and
// that guard lets it use).
func (c *cycle) bestFit(need shape, t *QueuedTask, guard *reservation) int {
	from := sort.Search(len(c.open), func(k int) bool { return c.nodes[c.open[k]].MilliCPU >= need.cpu })
	for k := from; k < len(c.open); k++ {
		n := &c.nodes[c.open[k]]
		if n.Memory >= need.mem && c.eligible(n, t) && (guard == nil || guard.allows(c.open[k], need, 1)) {
			return k
		}
	}
	return -1
}

// reorder moves open[k], whose node just received a task, to its new
// place: earlier, since it has less room now, or out when it is full.
func (c *cycle) reorder(k int) {
	i := c.open[k]
	if c.nodes[i].Slots <= 0 {
		c.open = slices.Delete(c.open, k, k+1)
		return
	}
	to := sort.Search(k, func(j int) bool { return c.compareRoom(&c.nodes[i], &c.nodes[c.open[j]]) < 0 })
	copy(c.open[to+1:k+1], c.open[to:k])
	c.open[to] = i
}

// eligible reports whether t may use n at all: tokens, access, selection.
func (c *cycle) eligible(n *room, t *QueuedTask) bool {
	return (!c.restricted || eligibleOn(&c.snap[n.index], t) == eligible) && c.classReject(n, t) == ""
}

// classReject is why t's selection scripts reject n, or "".
func (c *cycle) classReject(n *room, t *QueuedTask) string {
	if t.Class <= 0 || t.Class > len(c.classes) {
		return ""
	}
	if r := c.classes[t.Class-1].Rejects; n.index < len(r) {
		return r[n.index]
	}
	return ""
}

// tally counts why each available node rejects need (of task t); with a
// guard, the nodes it fits on but may not use count as reserved.
func (c *cycle) tally(need shape, t *QueuedTask, guard *reservation) tally {
	var why tally
	for i := range c.nodes {
		if c.restricted {
			if e := eligibleOn(&c.snap[c.nodes[i].index], t); e != eligible {
				why.ineligible(e, t.Token)
				continue
			}
		}
		if r := c.classReject(&c.nodes[i], t); r != "" {
			why.script(r)
			continue
		}
		v := check(&c.nodes[i], need)
		if v == fits && guard != nil && !guard.allows(i, need, 1) {
			why.reserve(guard)
			continue
		}
		why.add(v, &c.nodes[i])
	}
	return why
}

// compareRoom orders nodes by free CPU, then free memory, then name: the
// tightest fit first.
func (c *cycle) compareRoom(a, b *room) int {
	return cmp.Or(cmp.Compare(a.MilliCPU, b.MilliCPU), cmp.Compare(a.Memory, b.Memory), strings.Compare(c.snap[a.index].Name, c.snap[b.index].Name))
}

// fullReasons explains the tasks left when no node has a free slot; the
// tasks share it.
func (c *cycle) fullReasons() []Reason {
	if c.fullWhy == nil {
		if len(c.nodes) == 0 { // no node takes work at all: say why
			c.fullWhy = slices.Clone(c.unavailable)
		} else {
			c.fullWhy = []Reason{{Count: c.total, Message: msgNoFreeNode}}
		}
	}
	return c.fullWhy
}
