package scheduler

import (
	"cmp"
	"slices"
	"sort"
	"strings"
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
	rejected    shapeCache
	// restricted: some nodes carry tokens or restrict access, so tasks
	// are checked for eligibility and rejected shapes are remembered per
	// eligibility group (byGroup) instead of in rejected.
	restricted bool
	byGroup    map[string]*shapeCache
	classes    []Class
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
	if !c.restricted && t.Class == 0 {
		return &c.rejected
	}
	key := eligibilityKey(t)
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

// full reports whether no node has a free slot left.
func (c *cycle) full() bool { return len(c.open) == 0 }

// place puts t on the best node it fits on and returns that node's name.
// When t fits nowhere it returns the reasons instead, and remembers t's
// shape for the rest of the cycle.
func (c *cycle) place(t QueuedTask) (node string, reasons []Reason, ok bool) {
	need := shape{cpu: t.MilliCPU, mem: t.Memory}
	rejected := c.cache(&t)
	if r, ok := rejected.covering(need); ok {
		return "", rejected.rendered(need, r.why, c.unavailable), false
	}
	k := c.bestFit(need, &t)
	if k < 0 {
		why := c.tally(need, &t)
		rejected.add(rejection{shape: need, why: why})
		return "", rejected.rendered(need, why, c.unavailable), false
	}
	n := &c.nodes[c.open[k]]
	n.MilliCPU -= need.cpu
	n.Memory -= need.mem
	n.Slots--
	c.reorder(k)
	return c.snap[n.index].Name, nil, true
}

// bestFit returns the position in open of the tightest node need fits on,
// or -1: the first node with enough CPU and memory that t may use.
func (c *cycle) bestFit(need shape, t *QueuedTask) int {
	from := sort.Search(len(c.open), func(k int) bool { return c.nodes[c.open[k]].MilliCPU >= need.cpu })
	for k := from; k < len(c.open); k++ {
		n := &c.nodes[c.open[k]]
		if n.Memory >= need.mem && c.eligible(n, t) {
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

// tally counts why each available node rejects need (of task t).
func (c *cycle) tally(need shape, t *QueuedTask) tally {
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
		why.add(check(&c.nodes[i], need), &c.nodes[i])
	}
	return why
}

// compareRoom orders nodes by free CPU, then free memory, then name: the
// tightest fit first.
func (c *cycle) compareRoom(a, b *room) int {
	return cmp.Or(cmp.Compare(a.MilliCPU, b.MilliCPU), cmp.Compare(a.Memory, b.Memory), strings.Compare(c.snap[a.index].Name, c.snap[b.index].Name))
}

// fullReasons explains the tasks left when no node has a free slot.
func (c *cycle) fullReasons() []Reason {
	if len(c.nodes) == 0 { // no node takes work at all: say why
		return slices.Clone(c.unavailable)
	}
	return []Reason{{Count: c.total, Message: msgNoFreeNode}}
}
