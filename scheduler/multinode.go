package scheduler

import (
	"fmt"
	"sort"
)

// Multi-node tasks (QueuedTask.Nodes > 1) need Nodes slots at once, each
// with the task's MilliCPU and Memory: all in this cycle or none. The
// slots are taken tightest node first, as many on one node as it holds,
// so that a task packs onto few nodes; with DistinctHosts each slot is on
// a different host (Node.Host, or the node's name when empty). The first
// slot's node runs the task (Placement.Node), the others hold a slot each
// (Placement.Others, where a node appears once per slot).

// placeMulti places the multi-node task t, or says why it cannot.
func (c *cycle) placeMulti(t *QueuedTask, need shape, guard *reservation) (string, []string, []Reason, bool) {
	type pick struct{ node, slots int }
	var (
		picks []pick
		hosts map[string]bool
		got   int
		could int // nodes that could take a slot
	)
	if t.DistinctHosts {
		hosts = map[string]bool{}
	}
	for _, i := range c.open {
		n := &c.nodes[i]
		if !c.eligible(n, t) {
			continue
		}
		k := slotsFor(n, need)
		if guard != nil {
			k = guard.limit(i, need, k)
		}
		if k > 0 && hosts != nil {
			if h := c.host(i); hosts[h] {
				k = 0
			} else {
				hosts[h] = true
				k = 1
			}
		}
		if k == 0 {
			continue
		}
		could++
		k = min(k, t.Nodes-got)
		picks = append(picks, pick{i, k})
		if got += k; got == t.Nodes {
			break
		}
	}
	if got < t.Nodes {
		why := c.tally(need, t, guard)
		msg := fmt.Sprintf("needs %d nodes, %d could take it", t.Nodes, got)
		if t.DistinctHosts {
			msg = fmt.Sprintf("needs %d nodes on distinct hosts, %d could take it", t.Nodes, got)
		}
		// The nodes that fit are not in the tally: they count here.
		rs := append(why.render(need, c.unavailable), Reason{Count: could, Message: msg})
		return "", nil, countReasons(rs), false
	}
	var names []string
	for _, p := range picks {
		k := c.position(p.node)
		c.take(p.node, need, p.slots, t, guard)
		c.reorder(k)
		for range p.slots {
			names = append(names, c.snap[c.nodes[p.node].index].Name)
		}
	}
	return names[0], names[1:], nil, true
}

// position is where node i is in open (it must be there).
func (c *cycle) position(i int) int {
	return sort.Search(len(c.open), func(k int) bool { return c.compareRoom(&c.nodes[c.open[k]], &c.nodes[i]) >= 0 })
}

// host is node i's host, for distinct_hosts.
func (c *cycle) host(i int) string {
	n := &c.snap[c.nodes[i].index]
	if n.Host == "" {
		return n.Name
	}
	return n.Host
}

// slotsFor is how many slots of need n has room for.
func slotsFor(n *room, need shape) int {
	k := int64(n.Slots)
	if need.cpu > 0 {
		k = min(k, n.MilliCPU/need.cpu)
	} else if n.MilliCPU < 0 {
		k = 0
	}
	if need.mem > 0 {
		k = min(k, n.Memory/need.mem)
	} else if n.Memory < 0 {
		k = 0
	}
	return int(max(k, 0))
}
