package scheduler

import (
	"cmp"
	"slices"
)

// shapeCache remembers, within one cycle, the task shapes that fit on no
// node. Free capacity only shrinks during a cycle, so a shape that did not
// fit never fits later, and neither does any shape at least as large in
// both CPU and memory: such tasks are rejected without scanning the nodes.
type shapeCache struct {
	// front holds the minimal rejected shapes with the tally of their scan,
	// ordered by CPU ascending and so by memory strictly descending.
	front []rejection
	// reasons holds the rendered reasons per exact shape, shared by every
	// task of that shape.
	reasons map[shape][]Reason
}

// rejection is a shape that fit nowhere and why.
type rejection struct {
	shape shape
	why   tally
}

// covering returns a rejected shape that need is at least as large as.
func (c *shapeCache) covering(need shape) (rejection, bool) {
	// The last front entry with cpu <= need.cpu has the least memory of them.
	i, _ := slices.BinarySearchFunc(c.front, need.cpu+1, func(r rejection, cpu int64) int {
		return cmp.Compare(r.shape.cpu, cpu)
	})
	if i == 0 || c.front[i-1].shape.mem > need.mem {
		return rejection{}, false
	}
	return c.front[i-1], true
}

// add records r, which no shape in the front covers, dropping the entries
// r.shape is smaller than.
func (c *shapeCache) add(r rejection) {
	i, _ := slices.BinarySearchFunc(c.front, r.shape.cpu, func(e rejection, cpu int64) int {
		return cmp.Compare(e.shape.cpu, cpu)
	})
	j := i
	for j < len(c.front) && c.front[j].shape.mem >= r.shape.mem {
		j++
	}
	c.front = slices.Replace(c.front, i, j, r)
}

// rendered returns the reasons for a task of shape need, rendering and
// remembering them from why on first use.
func (c *shapeCache) rendered(need shape, why tally, unavailable []Reason) []Reason {
	if rs, ok := c.reasons[need]; ok {
		return rs
	}
	if c.reasons == nil {
		c.reasons = map[shape][]Reason{}
	}
	rs := why.render(need, unavailable)
	c.reasons[need] = rs
	return rs
}
