package sim

import (
	"cmp"
	"container/heap"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// The window, as in the server (server/cycle.go): a cycle shows the
// scheduler windowBase tasks plus windowPerSlot per free slot, at most
// windowMax, or windowIdle when no slot is free.
const (
	windowBase    = 256
	windowPerSlot = 16
	windowMax     = 20_000
	windowIdle    = 64
)

// groupKey identifies a group: the pending tasks of one priority, queue
// and user.
type groupKey struct {
	priority api.Priority
	queue    string
	user     string
}

// group is one group's pending tasks in FIFO order (job, then position in
// the job). Tasks mostly join at the tail and leave near the head, so
// removal is lazy: a task that leaves only clears its queued flag, dead
// entries at the head are dropped as the head is read, and the rest are
// compacted away when they pile up.
type group struct {
	key   groupKey
	tasks []*task
	live  int
}

// fifo orders tasks within a group.
func fifo(a, b *task) int {
	return cmp.Or(cmp.Compare(a.job.id, b.job.id), cmp.Compare(a.index, b.index), cmp.Compare(a.id, b.id))
}

func (g *group) push(t *task) {
	t.queued = true
	g.live++
	if t.inGroup {
		return // its dead entry is still in place
	}
	t.inGroup = true
	if n := len(g.tasks); n == 0 || fifo(g.tasks[n-1], t) < 0 {
		g.tasks = append(g.tasks, t)
		return
	}
	// A re-queued task (preempted, retried) goes back to its place.
	i, _ := slices.BinarySearchFunc(g.tasks, t, fifo)
	g.tasks = slices.Insert(g.tasks, i, t)
}

func (g *group) remove(t *task) {
	if t.queued {
		t.queued = false
		g.live--
	}
}

// tidy drops the group's dead entries: all of them when they pile up,
// else those at its head, so that a live group starts with a live task.
func (g *group) tidy() {
	if dead := len(g.tasks) - g.live; dead > max(1024, g.live) {
		g.tasks = slices.DeleteFunc(g.tasks, func(t *task) bool {
			t.inGroup = t.queued
			return !t.queued
		})
	}
	i := 0
	for i < len(g.tasks) && !g.tasks[i].queued {
		g.tasks[i].inGroup = false
		i++
	}
	g.tasks = g.tasks[i:]
}

// head appends up to n live tasks from the head of the tidied group to
// out.
func (g *group) head(out []*task, n int) []*task {
	for _, t := range g.tasks {
		if n == 0 {
			break
		}
		if t.queued {
			out = append(out, t)
			n--
		}
	}
	return out
}

// pending is every group, highest priority first.
type pending struct {
	byKey  map[groupKey]*group
	groups []*group // priority descending, then queue, then user
	live   int
	// Reused by window.
	buf   []*task
	runs  [][]*task
	level []*group
}

func (p *pending) push(t *task) {
	if t.queued {
		return
	}
	k := groupKey{t.job.priority, t.job.queue, t.job.user}
	g := p.byKey[k]
	if g == nil {
		if p.byKey == nil {
			p.byKey = map[groupKey]*group{}
		}
		g = &group{key: k}
		p.byKey[k] = g
		i, _ := slices.BinarySearchFunc(p.groups, k, func(g *group, k groupKey) int { return compareKeys(g.key, k) })
		p.groups = slices.Insert(p.groups, i, g)
	}
	g.push(t)
	p.live++
}

func (p *pending) remove(t *task) {
	if !t.queued {
		return
	}
	p.byKey[groupKey{t.job.priority, t.job.queue, t.job.user}].remove(t)
	p.live--
}

func compareKeys(a, b groupKey) int {
	return cmp.Or(cmp.Compare(b.priority, a.priority), strings.Compare(a.queue, b.queue), strings.Compare(a.user, b.user))
}

// window picks up to n pending tasks for one cycle, in the scheduler's
// order (priority, then job, then index): higher priorities first; within
// a priority the budget is shared evenly among the groups, each giving
// its first tasks, so that every queue and user of that priority is
// represented and the scheduler can weigh them (queue weights, fair
// share) however large one group's backlog is. A priority's groups are
// merged, not sorted: each is in order already. The server's ready queue
// (server/readyqueue.go) takes its window the same way.
func (p *pending) window(out []*task, n int) []*task {
	for i := 0; i < len(p.groups) && n > 0; {
		j := i
		for j < len(p.groups) && p.groups[j].key.priority == p.groups[i].key.priority {
			j++
		}
		// The priority's live groups, the one whose head comes first
		// first (as the server orders them), so that what is left over
		// after an even share goes the same way every time.
		p.level = p.level[:0]
		for _, g := range p.groups[i:j] {
			if g.live > 0 {
				g.tidy()
				p.level = append(p.level, g)
			}
		}
		slices.SortFunc(p.level, func(a, b *group) int { return fifo(a.tasks[0], b.tasks[0]) })
		level := p.level
		take := shares(level, n)
		p.runs = p.runs[:0]
		for k, g := range level {
			if take[k] > 0 {
				from := len(p.buf)
				p.buf = g.head(p.buf, take[k])
				p.runs = append(p.runs, p.buf[from:])
				n -= take[k]
			}
		}
		out = mergeRuns(out, p.runs)
		p.buf = p.buf[:0]
		i = j
	}
	return out
}

// shares splits a budget of n tasks among groups: evenly, and what a
// small group leaves goes to the others.
func shares(groups []*group, n int) []int {
	take := make([]int, len(groups))
	for n > 0 {
		active := 0
		for k, g := range groups {
			if take[k] < g.live {
				active++
			}
		}
		if active == 0 {
			break
		}
		share := max(1, n/active)
		for k, g := range groups {
			if n == 0 {
				break
			}
			if more := min(share, g.live-take[k], n); more > 0 {
				take[k] += more
				n -= more
			}
		}
	}
	return take
}

// mergeRuns appends the tasks of runs, each in FIFO order, to out in FIFO
// order, through a heap of the runs' heads: O(n log runs).
func mergeRuns(out []*task, runs [][]*task) []*task {
	h := runHeap(runs)
	heap.Init(&h)
	for len(h) > 0 {
		out = append(out, h[0][0])
		if h[0] = h[0][1:]; len(h[0]) == 0 {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
	}
	return out
}

type runHeap [][]*task

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return fifo(h[i][0], h[j][0]) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.([]*task)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
