package scheduler

import (
	"slices"
	"time"
)

// Backfill (EASY): the first task of a backfill queue that is blocked for
// lack of resources gets a reservation, the earliest time it fits given
// the End of the running attempts (and of this cycle's placements); a
// running attempt with no End never ends, so a node full of those gives
// no reservation. Later tasks of the queue may start only if they cannot
// delay it: on nodes it does not reserve, or ending (Now+Walltime) no
// later than its start, or leaving enough of a reserved node for it.

// reservation is what a blocked task holds: its start, and on each
// reserved node what is left once it starts there (spare).
type reservation struct {
	start time.Time
	spare map[int]*room // by node (index in cycle.nodes)
	msg   string        // the reason of tasks it keeps off a node
}

// release is room that comes back to node when an attempt ends.
type release struct {
	node  int
	end   time.Time
	need  shape
	slots int
}

// allows reports whether k slots of need on node i leave the reservation
// enough.
func (r *reservation) allows(i int, need shape, k int) bool {
	return r.limit(i, need, k) >= k
}

// limit is how many of k slots of need node i may give without delaying
// the reservation.
func (r *reservation) limit(i int, need shape, k int) int {
	sp := r.spare[i]
	if sp == nil {
		return k
	}
	return min(k, slotsFor(sp, need))
}

// consume takes k slots of need from node i's spare.
func (r *reservation) consume(i int, need shape, k int) {
	if sp := r.spare[i]; sp != nil {
		sp.MilliCPU -= need.cpu * int64(k)
		sp.Memory -= need.mem * int64(k)
		sp.Slots -= k
	}
}

// reserve finds the earliest start of the blocked task t: the first time
// the nodes it may use, given what ends on them, have room for all its
// slots at once (one per host with DistinctHosts). It sweeps the ends of
// the running work in time order, counting the slots of t each node has.
// It returns nil when t would never fit: it then holds nothing.
func (c *cycle) reserve(t *QueuedTask) *reservation {
	need := shape{cpu: t.MilliCPU, mem: t.Memory}
	n := max(1, t.Nodes)
	sw := sweep{c: c, need: need, distinct: t.DistinctHosts, slots: map[int]int{}, free: map[int]room{}}
	if sw.distinct {
		sw.hosts = map[string]int{}
	}
	for i := range c.nodes {
		if c.eligible(&c.nodes[i], t) {
			sw.free[i] = c.nodes[i]
			sw.set(i)
		}
	}
	evs := c.releases(sw.free)
	start := c.now
	for k := 0; sw.total < n; {
		if k == len(evs) {
			return nil // not even once everything that ends has ended
		}
		at := evs[k].end
		for ; k < len(evs) && !evs[k].end.After(at); k++ { // everything that ends then
			e := evs[k]
			f := sw.free[e.node]
			f.MilliCPU += e.need.cpu * int64(e.slots)
			f.Memory += e.need.mem * int64(e.slots)
			f.Slots += e.slots
			sw.free[e.node] = f
			sw.set(e.node)
		}
		if at.After(start) {
			start = at
		}
	}
	// The nodes that have room then, tightest first, as placement would.
	var nodes []int
	for i, k := range sw.slots {
		if k > 0 {
			nodes = append(nodes, i)
		}
	}
	slices.SortFunc(nodes, func(a, b int) int { return c.compareRoom(&c.nodes[a], &c.nodes[b]) })
	r := &reservation{start: start, spare: map[int]*room{}, msg: "reserved for " + taskName(t) + " (backfill)"}
	used := map[string]bool{}
	for _, i := range nodes {
		if n == 0 {
			break
		}
		k := min(sw.slots[i], n)
		if sw.distinct {
			if used[c.host(i)] {
				continue
			}
			used[c.host(i)] = true
			k = 1
		}
		f := sw.free[i]
		f.MilliCPU -= need.cpu * int64(k)
		f.Memory -= need.mem * int64(k)
		f.Slots -= k
		r.spare[i] = &f
		n -= k
	}
	return r
}

// sweep counts, as work ends, how many slots of need each node has and
// how many the task could get in all.
type sweep struct {
	c        *cycle
	need     shape
	distinct bool
	free     map[int]room
	slots    map[int]int
	hosts    map[string]int // nodes with a slot, by host (distinct)
	total    int
}

// set recounts node i's slots after its free room changed.
func (s *sweep) set(i int) {
	f := s.free[i]
	k, was := slotsFor(&f, s.need), s.slots[i]
	s.slots[i] = k
	if !s.distinct {
		s.total += k - was
		return
	}
	h := s.c.host(i)
	switch {
	case k > 0 && was == 0:
		if s.hosts[h]++; s.hosts[h] == 1 {
			s.total++
		}
	case k == 0 && was > 0:
		if s.hosts[h]--; s.hosts[h] == 0 {
			s.total--
		}
	}
}

// releases lists what ends on the nodes of use and when, in time order:
// the running attempts with an End, and this cycle's placements with a
// walltime.
func (c *cycle) releases(use map[int]room) []release {
	var out []release
	for i, rs := range c.runningOn() {
		if _, ok := use[i]; !ok {
			continue
		}
		for _, ri := range rs {
			if r := &c.running[ri]; !r.End.IsZero() {
				out = append(out, release{node: i, end: r.End, need: shape{r.MilliCPU, r.Memory}, slots: 1})
			}
		}
	}
	for _, p := range c.placed {
		if _, ok := use[p.node]; ok {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b release) int { return a.end.Compare(b.end) })
	return out
}

// runningOn indexes the running attempts by available node: one entry per
// slot (a multi-node attempt may hold several slots of one node).
func (c *cycle) runningOn() [][]int32 {
	if c.onNode != nil {
		return c.onNode
	}
	c.byName = make(map[string]int, len(c.nodes))
	for i := range c.nodes {
		c.byName[c.snap[c.nodes[i].index].Name] = i
	}
	c.onNode = make([][]int32, len(c.nodes))
	for ri := range c.running {
		for _, name := range c.running[ri].Nodes {
			if i, ok := c.byName[name]; ok {
				c.onNode[i] = append(c.onNode[i], int32(ri))
			}
		}
	}
	return c.onNode
}

// holdKey is what couldHold's answer depends on.
type holdKey struct {
	group    string
	need     shape
	nodes    int
	distinct bool
}

// couldHold reports whether t would fit on nodes it may use once the work
// running there ended: if so and it does not fit now, it is blocked for
// lack of resources (and holds up a FIFO queue); if not, no wait helps.
func (c *cycle) couldHold(t *QueuedTask) bool {
	key := holdKey{group: c.groupKey(t), need: shape{t.MilliCPU, t.Memory}, nodes: max(1, t.Nodes), distinct: t.DistinctHosts}
	if v, ok := c.holds[key]; ok {
		return v
	}
	if c.capacity == nil {
		on := c.runningOn()
		c.capacity = make([]room, len(c.nodes))
		for i := range c.nodes {
			n := &c.snap[c.nodes[i].index]
			cp := room{MilliCPU: n.MilliCPU, Memory: n.Memory, Slots: n.Slots, index: c.nodes[i].index}
			for _, ri := range on[i] {
				cp.MilliCPU += c.running[ri].MilliCPU
				cp.Memory += c.running[ri].Memory
				cp.Slots++
			}
			c.capacity[i] = cp
		}
	}
	var hosts map[string]bool
	if t.DistinctHosts {
		hosts = map[string]bool{}
	}
	got := 0
	for i := range c.capacity {
		k := slotsFor(&c.capacity[i], key.need)
		if k == 0 || !c.eligible(&c.capacity[i], t) {
			continue
		}
		if hosts != nil {
			if hosts[c.host(i)] {
				continue
			}
			hosts[c.host(i)] = true
			k = 1
		}
		if got += k; got >= key.nodes {
			break
		}
	}
	if c.holds == nil {
		c.holds = map[holdKey]bool{}
	}
	c.holds[key] = got >= key.nodes
	return got >= key.nodes
}

// delayedBy reports whether t, started at now, could delay the
// reservation: it has no walltime, or runs past the reservation's start.
func (r *reservation) delayedBy(t *QueuedTask, now time.Time) bool {
	end := ends(t, now)
	return end.IsZero() || end.After(r.start)
}
