package scheduler

// The walk: the order in which one cycle considers the queued tasks.
//
// Higher priority always comes first. At one priority, the queue with the
// least effective usage per unit of weight goes next, and within it the
// user with the least effective usage; within one user's tasks of a queue
// and priority, the queue order (job, then index). Placing a task raises
// its queue's and user's effective usage at once, so the next task may
// come from someone else.
//
// The ordered queue is cut, in one pass, into groups (priority, queue,
// user) chained through next; a walk then merges them with two small
// heaps per priority level: queues, and each queue's users. Every step
// only raises the keys of the heap roots (more usage, a later head), so
// it costs a sift-down of each: O(log G) for G groups.

// group is the tasks of one user in one queue at one priority, in queue
// order: a chain from head to tail through walk.next.
type group struct {
	q          *queueState
	u          *userState
	head, tail int32 // positions in the ordered queue; head is -1 once done
}

// queueLevel is one queue's groups at the current priority, as a heap.
type queueLevel struct {
	q      *queueState
	groups []*group
}

type groupKey struct {
	q    *queueState
	user string
}

type walk struct {
	qs     *queues
	next   []int32    // the next task of the same group, or -1
	levels [][]*group // the groups of each priority, highest first
	level  int        // the current level
	heap   []*queueLevel
}

// newWalk groups queue, which is in Less order, in one pass. Tasks of one
// job are adjacent and share their group, so most tasks cost a few
// comparisons and no map lookup.
func newWalk(queue []QueuedTask, qs *queues) *walk {
	w := &walk{qs: qs, next: make([]int32, len(queue)), level: -1}
	var (
		g     *group
		byKey = map[groupKey]*group{}
	)
	for i := range queue {
		t := &queue[i]
		if i > 0 {
			p := &queue[i-1]
			if t.JobID == p.JobID && t.Priority == p.Priority && t.Queue == p.Queue && t.User == p.User {
				w.append(g, i)
				continue
			}
		}
		if i == 0 || t.Priority != queue[i-1].Priority {
			w.levels = append(w.levels, nil)
			clear(byKey)
		}
		q := qs.get(t.Queue)
		key := groupKey{q, t.User}
		if g = byKey[key]; g == nil {
			g = &group{q: q, u: q.user(t.User), head: -1}
			byKey[key] = g
			w.levels[len(w.levels)-1] = append(w.levels[len(w.levels)-1], g)
		}
		w.append(g, i)
	}
	return w
}

func (w *walk) append(g *group, i int) {
	if g.head < 0 {
		g.head = int32(i)
	} else {
		w.next[g.tail] = int32(i)
	}
	g.tail = int32(i)
	w.next[i] = -1
}

// peek returns the position of the next task to consider, and its group,
// or -1 when every task was considered.
func (w *walk) peek() (int, *group) {
	for len(w.heap) == 0 {
		if w.level+1 >= len(w.levels) {
			return -1, nil
		}
		w.level++
		w.build()
	}
	g := w.heap[0].groups[0]
	return int(g.head), g
}

// pop moves past the task peek returned, once its queue's and user's
// usage are up to date.
func (w *walk) pop() {
	ql := w.heap[0]
	g := ql.groups[0]
	if g.head = w.next[g.head]; g.head < 0 {
		ql.groups = popRoot(ql.groups, w.lessGroup)
	} else {
		siftDown(ql.groups, 0, w.lessGroup)
	}
	if len(ql.groups) == 0 {
		w.heap = popRoot(w.heap, w.lessLevel)
	} else {
		siftDown(w.heap, 0, w.lessLevel)
	}
}

// drain takes out of the walk every remaining task of the queues drop
// selects, calling emit for each, and rebuilds the current level.
func (w *walk) drain(drop func(*queueState) bool, emit func(pos int32, g *group)) {
	for l := max(w.level, 0); l < len(w.levels); l++ {
		for _, g := range w.levels[l] {
			if g.head < 0 || !drop(g.q) {
				continue
			}
			for i := g.head; i >= 0; i = w.next[i] {
				emit(i, g)
			}
			g.head = -1
		}
	}
	if w.level >= 0 && w.level < len(w.levels) {
		w.build()
	}
}

// build makes the heaps of the current level.
func (w *walk) build() {
	w.heap = w.heap[:0]
	var at map[*queueState]*queueLevel
	for _, g := range w.levels[w.level] {
		if g.head < 0 {
			continue
		}
		var ql *queueLevel
		if len(w.heap) > 0 && w.heap[len(w.heap)-1].q == g.q {
			ql = w.heap[len(w.heap)-1]
		} else {
			if at == nil {
				at = map[*queueState]*queueLevel{}
			}
			if ql = at[g.q]; ql == nil {
				ql = &queueLevel{q: g.q}
				at[g.q] = ql
				w.heap = append(w.heap, ql)
			}
		}
		ql.groups = append(ql.groups, g)
	}
	for _, ql := range w.heap {
		heapify(ql.groups, w.lessGroup)
	}
	heapify(w.heap, w.lessLevel)
}

// lessGroup: the user with the least effective usage, then the earliest
// task in queue order.
func (w *walk) lessGroup(a, b *group) bool {
	ea, eb := w.qs.effective(a.u.usage, a.u.milliCPU), w.qs.effective(b.u.usage, b.u.milliCPU)
	if ea != eb {
		return ea < eb
	}
	return a.head < b.head
}

// lessLevel: the queue with the least effective usage per weight, then
// the one whose next task comes first in queue order.
func (w *walk) lessLevel(a, b *queueLevel) bool {
	sa, sb := w.qs.share(a.q), w.qs.share(b.q)
	if sa != sb {
		return sa < sb
	}
	return a.groups[0].head < b.groups[0].head
}

// A binary min-heap over a slice, ordered by less.

func heapify[T any](h []T, less func(a, b T) bool) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i, less)
	}
}

func siftDown[T any](h []T, i int, less func(a, b T) bool) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func popRoot[T any](h []T, less func(a, b T) bool) []T {
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	siftDown(h, 0, less)
	return h
}
