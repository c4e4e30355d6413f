package scheduler

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/shrike-grid/shrike/api"
)

// Preemption: in a queue with Preemption, a task that cannot be placed
// may stop running attempts of the same queue with strictly lower
// priority. On each node it may use, the victims are taken lowest
// priority first, then the most recently started (the least work lost),
// until the task fits; then those it would fit without are spared, the
// most valuable first. The cheapest node's set wins: the lowest highest
// priority among the victims, then the fewest victims, then the least
// work lost (running time), then the tightest node. A multi-node task
// takes the nodes that fit it now and then the cheapest sets, one slot
// per node. The task is not placed in this cycle (the victims' room is
// free only once they stop), but what else it needs on the chosen nodes
// is held out of their free room for the rest of the cycle (holdFor); the
// server re-queues the victims and sets the task's Preempting until they
// have stopped. A victim is picked once per cycle.

// victimCost orders victim sets: the cheapest first.
type victimCost struct {
	top   api.Priority // the highest priority among the victims
	count int
	lost  float64 // seconds of work the victims have done
}

func (a victimCost) compare(b victimCost) int {
	return cmp.Or(cmp.Compare(a.top, b.top), cmp.Compare(a.count, b.count), cmp.Compare(a.lost, b.lost))
}

// compareVictims orders running attempts as victims: the lowest priority
// first, then the latest started, then the highest task id.
func (c *cycle) compareVictims(a, b int32) int {
	ra, rb := &c.running[a], &c.running[b]
	return cmp.Or(cmp.Compare(ra.Priority, rb.Priority), rb.Start.Compare(ra.Start), cmp.Compare(rb.TaskID, ra.TaskID))
}

// mayPreempt reports whether q has a running attempt not yet picked of
// priority below p: without one, neither a task of priority p nor any
// later one of q can preempt.
func (q *queueState) mayPreempt(c *cycle, p api.Priority) bool {
	if !q.cfg.Preemption {
		return false
	}
	if q.victims == nil {
		q.victims = []int32{}
		for ri := range c.running {
			if queueName(c.running[ri].Queue) == q.cfg.Name {
				q.victims = append(q.victims, int32(ri))
			}
		}
		slices.SortFunc(q.victims, c.compareVictims)
		c.sortVictims()
		for i, rs := range c.runningOn() {
			var mine []int32
			for _, ri := range rs {
				if queueName(c.running[ri].Queue) == q.cfg.Name {
					mine = append(mine, ri)
				}
			}
			if mine != nil {
				q.victimNodes = append(q.victimNodes, i)
				q.nodeVictims = append(q.nodeVictims, mine)
			}
		}
	}
	for q.vnext < len(q.victims) && c.isPicked(q.victims[q.vnext]) {
		q.vnext++
	}
	return q.vnext < len(q.victims) && c.running[q.victims[q.vnext]].Priority < p
}

func (c *cycle) isPicked(ri int32) bool { return c.picked != nil && c.picked[ri] }

// preempt picks the victims that make room for t in q and adds them to
// the plan; it returns how many, 0 when no set of victims would do.
func (sc *scheduling) preempt(t *QueuedTask, q *queueState) int {
	c := sc.c
	if !q.mayPreempt(c, t.Priority) {
		return 0
	}
	need := shape{cpu: t.MilliCPU, mem: t.Memory}
	key := victimKey{group: c.groupKey(t), nodes: max(1, t.Nodes), distinct: t.DistinctHosts}
	if q.noVictims == nil {
		q.noVictims = map[victimKey]*shapeCache{}
	}
	memo := q.noVictims[key]
	if memo == nil {
		memo = &shapeCache{}
		q.noVictims[key] = memo
	}
	if _, ok := memo.covering(need); ok {
		return 0
	}
	victims := c.chooseVictims(t, q, need) // mayPreempt sorted the victims
	if len(victims) == 0 {
		// Victims are only used up and free room only shrinks in a
		// cycle: a shape no set makes room for now never finds one later.
		memo.add(rejection{shape: need})
		return 0
	}
	why := fmt.Sprintf("preempted by %s (priority %s) in queue %s", taskName(t), t.Priority, q.cfg.Name)
	if c.picked == nil {
		c.picked = make([]bool, len(c.running))
	}
	for _, ri := range victims {
		c.picked[ri] = true
		sc.plan.Preemptions = append(sc.plan.Preemptions, Preemption{TaskID: c.running[ri].TaskID, For: t.TaskID, Reason: why})
	}
	return len(victims)
}

// victimKey is what the search for victims depends on, but the shape.
type victimKey struct {
	group    string
	nodes    int
	distinct bool
}

// option is one node's way to give t a slot: its victims and their cost.
type option struct {
	node    int
	slots   int // slots it has for t without victims (multi-node)
	victims []int32
	cost    victimCost
	freed   shape // what the victims free on the node
}

// chooseVictims returns the cheapest set of running attempts of q to
// stop so that t fits, or nil. Only the nodes where q runs something can
// make room.
func (c *cycle) chooseVictims(t *QueuedTask, q *queueState, need shape) []int32 {
	if t.Nodes > 1 {
		return c.chooseVictimsMulti(t, q, need)
	}
	o, ok := c.oneVictim(t, q, need, c.spare[:0])
	if !ok {
		o, ok = c.searchVictims(t, q, need)
	}
	if !ok {
		return nil
	}
	c.spare = o.victims // reused once the caller is done with it (never c.scratch)
	c.holdFor(o.node, need, o.freed, 0)
	return o.victims
}

// searchVictims looks at every node where q runs something for the
// cheapest set of victims that gives t a slot.
func (c *cycle) searchVictims(t *QueuedTask, q *queueState, need shape) (option, bool) {
	var best option
	found := false
	// Two buffers, reused from task to task: the best set so far and the
	// one being counted.
	cur, other := c.scratch[:0], c.spare[:0]
	for k, i := range q.victimNodes {
		if check(&c.nodes[i], need) == fits || !c.eligible(&c.nodes[i], t) {
			continue // fits already (a reservation keeps it off), or may not use it
		}
		var bound *victimCost
		if found {
			bound = &best.cost
		}
		o, ok := c.victimsOn(i, q.nodeVictims[k], t, need, cur[:0], bound)
		if ok && (!found || cmp.Or(o.cost.compare(best.cost), c.compareRoom(&c.nodes[o.node], &c.nodes[best.node])) < 0) {
			if found {
				other = best.victims
			}
			best, found = o, true
			cur = other[:0]
			continue
		}
		cur = o.victims[:0]
	}
	// Keep both buffers apart for the next call: after a swap cur and
	// other share one.
	c.scratch = cur
	if found {
		c.spare = best.victims
	}
	return best, found
}

// holdFor keeps, out of node i's free room, what t (needing need on it,
// k slots of it without victims) will take once its victims have freed
// theirs: later tasks of the cycle may not use it, so that t fits when
// they stop.
func (c *cycle) holdFor(i int, need shape, freed shape, k int) {
	n := &c.nodes[i]
	cpu, mem := need.cpu*int64(max(k, 1))-freed.cpu, need.mem*int64(max(k, 1))-freed.mem
	cpu, mem = min(max(cpu, 0), max(n.MilliCPU, 0)), min(max(mem, 0), max(n.Memory, 0))
	if cpu == 0 && mem == 0 && k == 0 {
		return
	}
	if n.Slots <= 0 { // not in open: nothing to reorder
		n.MilliCPU -= cpu
		n.Memory -= mem
		return
	}
	pos := c.position(i)
	n.MilliCPU -= cpu
	n.Memory -= mem
	n.Slots -= k
	c.reorder(pos)
}

// oneVictim is the shortcut for the usual case: a single victim of the
// lowest priority left in q that makes room on its node. No set can cost
// less: none has a lower top priority or fewer victims, and q.victims
// comes lowest priority, then least work lost first. Ties in work lost go
// to the tightest node, as in the full search.
func (c *cycle) oneVictim(t *QueuedTask, q *queueState, need shape, buf []int32) (option, bool) {
	var best option
	found := false
	for _, ri := range q.victims[q.vnext:] {
		r := &c.running[ri]
		if r.Priority >= t.Priority || r.Priority != c.running[q.victims[q.vnext]].Priority {
			break
		}
		if found && !r.Start.Equal(c.running[best.victims[0]].Start) {
			break
		}
		if c.isPicked(ri) {
			continue
		}
		for k, name := range r.Nodes {
			i, ok := c.byName[name]
			if !ok || slices.Contains(r.Nodes[:k], name) || check(&c.nodes[i], need) == fits || !c.eligible(&c.nodes[i], t) {
				continue
			}
			free := c.nodes[i]
			var freed shape
			for _, other := range r.Nodes[k:] {
				if other == name { // one slot per time it is listed
					free.MilliCPU += r.MilliCPU
					free.Memory += r.Memory
					free.Slots++
					freed.cpu += r.MilliCPU
					freed.mem += r.Memory
				}
			}
			if check(&free, need) != fits || found && c.compareRoom(&c.nodes[i], &c.nodes[best.node]) >= 0 {
				continue
			}
			best = option{node: i, victims: append(buf[:0], ri), freed: freed,
				cost: victimCost{top: r.Priority, count: 1, lost: c.now.Sub(r.Start).Seconds()}}
			found = true
		}
	}
	return best, found
}

// chooseVictimsMulti is chooseVictims for a multi-node task: the nodes
// that have room for it now, then the cheapest sets, one slot per node.
func (c *cycle) chooseVictimsMulti(t *QueuedTask, q *queueState, need shape) []int32 {
	var opts []option
	for i := range c.nodes {
		if !c.eligible(&c.nodes[i], t) {
			continue
		}
		if k := slotsFor(&c.nodes[i], need); k > 0 {
			opts = append(opts, option{node: i, slots: k})
			continue
		}
		if k, ok := slices.BinarySearch(q.victimNodes, i); ok {
			if o, ok := c.victimsOn(i, q.nodeVictims[k], t, need, nil, nil); ok {
				opts = append(opts, o)
			}
		}
	}
	// Nodes that fit now cost nothing and come first.
	slices.SortFunc(opts, func(a, b option) int {
		return cmp.Or(a.cost.compare(b.cost), c.compareRoom(&c.nodes[a.node], &c.nodes[b.node]))
	})
	var (
		hosts   map[string]bool
		victims []int32
		chosen  []option
		got     int
	)
	if t.DistinctHosts {
		hosts = map[string]bool{}
	}
	for _, o := range opts {
		if got >= t.Nodes {
			break
		}
		if hosts != nil {
			if hosts[c.host(o.node)] {
				continue
			}
			hosts[c.host(o.node)] = true
		}
		k := max(o.slots, 1)
		if hosts != nil {
			k = 1
		}
		k = min(k, t.Nodes-got)
		got += k
		chosen = append(chosen, option{node: o.node, slots: min(o.slots, k), freed: o.freed})
		for _, v := range o.victims {
			if !slices.Contains(victims, v) {
				victims = append(victims, v)
			}
		}
	}
	if got < t.Nodes || len(victims) == 0 {
		return nil
	}
	for _, o := range chosen {
		c.holdFor(o.node, need, o.freed, o.slots)
	}
	return victims
}

// victimsOn is the cheapest set among rs, q's attempts on node i in
// victim order, that gives t a slot there, appended to buf. Victims are
// added in victim order until t fits; then, most valuable first, those it
// fits without are spared. The last one added is always needed, so the
// set's top priority is known while adding: the search gives up once it
// is above bound's.
func (c *cycle) victimsOn(i int, rs []int32, t *QueuedTask, need shape, buf []int32, bound *victimCost) (option, bool) {
	free := c.nodes[i]
	o := option{node: i, victims: buf}
	fit := false
	for _, ri := range rs {
		r := &c.running[ri]
		if r.Priority >= t.Priority || bound != nil && r.Priority > bound.top {
			break // victims come lowest priority first
		}
		if c.isPicked(ri) {
			continue
		}
		free.MilliCPU += r.MilliCPU
		free.Memory += r.Memory
		free.Slots++
		if len(o.victims) == 0 || o.victims[len(o.victims)-1] != ri { // a victim may hold several slots here
			o.victims = append(o.victims, ri)
		}
		if check(&free, need) == fits {
			fit = true
			break
		}
	}
	if !fit {
		return o, false
	}
	for j := len(o.victims) - 2; j >= 0; j-- {
		ri := o.victims[j]
		r := &c.running[ri]
		k := int64(countOf(rs, ri))
		without := free
		without.MilliCPU -= r.MilliCPU * k
		without.Memory -= r.Memory * k
		without.Slots -= int(k)
		if check(&without, need) == fits {
			free = without
			o.victims = slices.Delete(o.victims, j, j+1)
		}
	}
	for _, ri := range o.victims {
		r := &c.running[ri]
		k := int64(countOf(rs, ri))
		o.cost.top = max(o.cost.top, r.Priority)
		o.cost.lost += c.now.Sub(r.Start).Seconds()
		o.freed.cpu += r.MilliCPU * k
		o.freed.mem += r.Memory * k
	}
	o.cost.count = len(o.victims)
	return o, true
}

// countOf is how many slots ri holds among rs.
func countOf(rs []int32, ri int32) int {
	n := 0
	for _, x := range rs {
		if x == ri {
			n++
		}
	}
	return n
}

// sortVictims orders each node's running attempts as victims, once.
func (c *cycle) sortVictims() {
	if c.victimsSorted {
		return
	}
	c.victimsSorted = true
	for _, rs := range c.runningOn() {
		slices.SortFunc(rs, c.compareVictims)
	}
}
