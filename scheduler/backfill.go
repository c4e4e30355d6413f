package scheduler

import (
	"cmp"
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

// reserve finds the earliest start of the blocked task t: for each node
// it may use, the first End after which one slot of it fits; for a
// multi-node task, the Nodes-th earliest of those (on distinct hosts if
// asked). It returns nil when t would never fit: it then holds nothing.
func (c *cycle) reserve(t *QueuedTask) *reservation {
	need := shape{cpu: t.MilliCPU, mem: t.Memory}
	byNode := c.releases()
	type cand struct {
		node int
		at   time.Time
	}
	var cands []cand
	for i := range c.nodes {
		if !c.eligible(&c.nodes[i], t) {
			continue
		}
		if at, ok := c.earliest(i, need, byNode[i]); ok {
			cands = append(cands, cand{i, at})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(a.at.Compare(b.at), c.compareRoom(&c.nodes[a.node], &c.nodes[b.node]))
	})
	n := max(1, t.Nodes)
	var hosts map[string]bool
	if t.DistinctHosts {
		hosts = map[string]bool{}
	}
	r := &reservation{start: c.now, spare: map[int]*room{}, msg: "reserved for " + taskName(t) + " (backfill)"}
	for _, cd := range cands {
		if len(r.spare) == n {
			break
		}
		if hosts != nil {
			if h := c.host(cd.node); hosts[h] {
				continue
			} else {
				hosts[h] = true
			}
		}
		r.spare[cd.node] = nil
		if cd.at.After(r.start) {
			r.start = cd.at
		}
	}
	if len(r.spare) < n {
		return nil
	}
	for i := range r.spare {
		f := c.freeAt(i, r.start, byNode[i])
		f.MilliCPU -= need.cpu
		f.Memory -= need.mem
		f.Slots--
		r.spare[i] = &f
	}
	return r
}

// earliest is when one slot of need fits on node i, given what ends there
// (rs, by End), or false if never.
func (c *cycle) earliest(i int, need shape, rs []release) (time.Time, bool) {
	free := c.nodes[i]
	if check(&free, need) == fits {
		return c.now, true
	}
	for _, r := range rs {
		free.MilliCPU += r.need.cpu * int64(r.slots)
		free.Memory += r.need.mem * int64(r.slots)
		free.Slots += r.slots
		if check(&free, need) == fits {
			if r.end.Before(c.now) { // overdue: it should end any moment
				return c.now, true
			}
			return r.end, true
		}
	}
	return time.Time{}, false
}

// freeAt is what node i will have free at time at.
func (c *cycle) freeAt(i int, at time.Time, rs []release) room {
	free := c.nodes[i]
	for _, r := range rs {
		if r.end.After(at) {
			break
		}
		free.MilliCPU += r.need.cpu * int64(r.slots)
		free.Memory += r.need.mem * int64(r.slots)
		free.Slots += r.slots
	}
	return free
}

// releases lists, for each node, what ends there and when, by End: the
// running attempts with an End, and this cycle's placements with a
// walltime.
func (c *cycle) releases() map[int][]release {
	on := c.runningOn()
	out := map[int][]release{}
	for i, rs := range on {
		for _, ri := range rs {
			if r := &c.running[ri]; !r.End.IsZero() {
				out[i] = append(out[i], release{node: i, end: r.End, need: shape{r.MilliCPU, r.Memory}, slots: 1})
			}
		}
	}
	for _, p := range c.placed {
		out[p.node] = append(out[p.node], p)
	}
	for _, rs := range out {
		slices.SortFunc(rs, func(a, b release) int { return a.end.Compare(b.end) })
	}
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
