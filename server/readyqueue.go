package server

import (
	"cmp"
	"slices"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
)

// readyQueue holds the tasks that wait for a node, grouped by (priority,
// queue, user), each group in scheduler order. A cycle examines a window
// of the queue (head), and the window takes from every group: one user
// with a million queued tasks cannot hide everyone else's from the
// scheduler, whose fair share then orders the users.
//
// Within a group, tasks mostly arrive in order (new jobs have higher ids)
// and leave from the head (they are placed), so the group stays sorted
// without a sort per cycle: a push out of order marks it for one sort,
// removal is lazy, dead entries at the head are dropped as the head is
// read, and the rest are compacted away only when they pile up. A task
// pushed again while its dead entry is still there revives that entry. A
// job's priority change moves its tasks to another group: resort marks
// the queue, and the next head regroups every entry.
type readyQueue struct {
	groups  map[groupKey]*readyGroup
	regroup bool
	live    int
	// selecting counts the live tasks with selection scripts.
	selecting int
	// order is head's scratch list of groups, reused.
	order []*readyGroup
}

// groupKey is what a ready-queue group has in common.
type groupKey struct {
	priority api.Priority
	queue    string
	user     string
}

// readyGroup is one group of the ready queue, in scheduler order.
type readyGroup struct {
	key      groupKey
	tasks    []*taskState
	unsorted bool
	live     int
	next     int // head's cursor: the next entry to take
}

func keyOf(t *taskState) groupKey {
	return groupKey{priority: t.qt.Priority, queue: t.qt.Queue, user: t.qt.User}
}

func (q *readyQueue) push(t *taskState) {
	if t.queued {
		return
	}
	t.queued = true
	q.live++
	if t.selecting() {
		q.selecting++
	}
	if t.inQueue {
		t.group.live++ // revived: its entry is where it belongs, or regroup moves it
		return
	}
	q.add(t)
}

// add appends a live task's entry to its group.
func (q *readyQueue) add(t *taskState) {
	k := keyOf(t)
	g := q.groups[k]
	if g == nil {
		if q.groups == nil {
			q.groups = make(map[groupKey]*readyGroup)
		}
		g = &readyGroup{key: k}
		q.groups[k] = g
	}
	if n := len(g.tasks); n > 0 && compareTasks(t, g.tasks[n-1]) < 0 {
		g.unsorted = true
	}
	t.inQueue, t.group = true, g
	g.tasks = append(g.tasks, t)
	g.live++
}

// resort regroups and reorders the queue before its head is next read,
// after the order of tasks already in it changed (a job's priority).
func (q *readyQueue) resort() { q.regroup = true }

func (q *readyQueue) remove(t *taskState) {
	if !t.queued {
		return
	}
	t.queued = false
	q.live--
	t.group.live--
	if t.selecting() {
		q.selecting--
	}
}

// each calls f for every live task, in no particular order.
func (q *readyQueue) each(f func(*taskState)) {
	for _, g := range q.groups {
		for _, t := range g.tasks {
			if t.queued {
				f(t)
			}
		}
	}
}

// head returns up to n live tasks in scheduler order, taken from the
// heads of the groups: the highest priority first; within a priority the
// n places left are shared evenly among its groups (at least one each),
// and what a group cannot use goes to the others, round by round.
func (q *readyQueue) head(n int) []*taskState {
	if q.regroup {
		q.rebuild()
	}
	q.order = q.order[:0]
	for k, g := range q.groups {
		if g.live == 0 {
			for _, t := range g.tasks {
				t.inQueue, t.group = false, nil
			}
			delete(q.groups, k)
			continue
		}
		g.tidy()
		q.order = append(q.order, g)
	}
	// Higher priority first; within a priority the group whose head comes
	// first, so that places left over go the same way every time.
	slices.SortFunc(q.order, func(a, b *readyGroup) int {
		if c := cmp.Compare(b.key.priority, a.key.priority); c != 0 {
			return c
		}
		return compareTasks(a.tasks[0], b.tasks[0])
	})
	out := make([]*taskState, 0, min(n, q.live))
	for i := 0; i < len(q.order) && len(out) < n; {
		j := i + 1
		for j < len(q.order) && q.order[j].key.priority == q.order[i].key.priority {
			j++
		}
		out = takeShared(q.order[i:j], out, n)
		i = j
	}
	clear(q.order) // keep no tasks alive through the scratch list
	if !slices.IsSortedFunc(out, compareTasks) {
		slices.SortFunc(out, compareTasks)
	}
	return out
}

// takeShared appends to out, up to n tasks in all, the heads of groups
// (of one priority) shared evenly: each round gives every group that
// still has tasks an equal part of the places left.
func takeShared(groups []*readyGroup, out []*taskState, n int) []*taskState {
	for _, g := range groups {
		g.next = 0
	}
	open := slices.Clone(groups)
	for len(open) > 0 && len(out) < n {
		per := max(1, (n-len(out))/len(open))
		kept := open[:0]
		for _, g := range open {
			took := 0
			for g.next < len(g.tasks) && took < per && len(out) < n {
				if t := g.tasks[g.next]; t.queued {
					out = append(out, t)
					took++
				}
				g.next++
			}
			if g.next < len(g.tasks) {
				kept = append(kept, g)
			}
		}
		open = kept
	}
	return out
}

// tidy orders a group if needed and drops its dead entries: all of them
// when they pile up or before a sort, else those at its head.
func (g *readyGroup) tidy() {
	if dead := len(g.tasks) - g.live; g.unsorted || dead > max(1024, g.live) {
		g.tasks = slices.DeleteFunc(g.tasks, func(t *taskState) bool {
			if !t.queued {
				t.inQueue, t.group = false, nil
			}
			return !t.queued
		})
	}
	if g.unsorted {
		slices.SortFunc(g.tasks, compareTasks)
		g.unsorted = false
	}
	i := 0
	for i < len(g.tasks) && !g.tasks[i].queued {
		g.tasks[i].inQueue, g.tasks[i].group = false, nil
		i++
	}
	clear(g.tasks[:i])
	g.tasks = g.tasks[i:]
}

// rebuild regroups every live entry by its current key (a priority
// changed) and drops the dead ones.
func (q *readyQueue) rebuild() {
	var live []*taskState
	for _, g := range q.groups {
		for _, t := range g.tasks {
			t.inQueue, t.group = false, nil
			if t.queued {
				live = append(live, t)
			}
		}
	}
	clear(q.groups)
	slices.SortFunc(live, compareTasks)
	for _, t := range live {
		q.add(t)
	}
	q.regroup = false
}

// compareTasks orders tasks as the scheduler does (scheduler.Compare).
func compareTasks(a, b *taskState) int { return scheduler.Compare(&a.qt, &b.qt) }
