package server

import (
	"fmt"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
)

// queuedTasks makes n tasks of user in queue, one job each, numbered from
// first.
func queuedTasks(first, n int, user, queue string, pr api.Priority) []*taskState {
	out := make([]*taskState, n)
	for i := range out {
		id := int64(first + i)
		out[i] = &taskState{qt: scheduler.QueuedTask{TaskID: id, JobID: id, Priority: pr, User: user, Queue: queue}}
	}
	return out
}

// TestReadyQueueWindowIsShared: a user with many queued tasks does not
// fill the window; every (queue, user) group at the top priority gets its
// part, and what a group cannot use goes to the others.
func TestReadyQueueWindowIsShared(t *testing.T) {
	var q readyQueue
	heavy := queuedTasks(1, 10_000, "ann", "default", api.PriorityNormal)
	light := queuedTasks(20_001, 5, "bob", "default", api.PriorityNormal)
	other := queuedTasks(30_001, 100, "ann", "short", api.PriorityNormal)
	for _, ts := range [][]*taskState{heavy, light, other} {
		for _, tk := range ts {
			q.push(tk)
		}
	}
	count := func(h []*taskState) map[string]int {
		c := map[string]int{}
		for _, tk := range h {
			c[tk.qt.User+"/"+tk.qt.Queue]++
		}
		return c
	}
	h := q.head(60)
	if got := count(h); len(h) != 60 || got["bob/default"] != 5 || got["ann/default"] != 28 || got["ann/short"] != 27 {
		t.Fatalf("window of 60: %v, want bob's 5 and the rest split between ann's two queues (28 in default, whose head is older, and 27)", got)
	}
	for i := 1; i < len(h); i++ {
		if scheduler.Less(h[i].qt, h[i-1].qt) {
			t.Fatalf("window not in scheduler order at %d", i)
		}
	}
	// Higher priority takes the window first.
	urgent := queuedTasks(40_001, 50, "cid", "default", api.PriorityHigh)
	for _, tk := range urgent {
		q.push(tk)
	}
	if got := count(q.head(60)); got["cid/default"] != 50 || got["bob/default"]+got["ann/default"]+got["ann/short"] != 10 {
		t.Fatalf("window with 50 high-priority tasks: %v", got)
	}
	// A priority change moves a job's queued task to the other group.
	heavy[9999].qt.Priority = api.PriorityHighest
	q.resort()
	if h := q.head(1); h[0] != heavy[9999] {
		t.Fatalf("head after raising task %d: task %d", heavy[9999].qt.TaskID, h[0].qt.TaskID)
	}
	for _, tk := range append(urgent, heavy[9999]) {
		q.remove(tk)
	}
	if got := count(q.head(q.live)); got["ann/default"] != 9999 || got["bob/default"] != 5 || got["ann/short"] != 100 {
		t.Fatalf("whole queue: %v", got)
	}
}

// BenchmarkReadyQueueCycle is the ready queue's part of a busy cycle with
// 1,000,000 queued tasks: the window (20,000, the largest) is read and a
// thousand of its tasks are placed (removed), with one user owning most
// of the queue and 99 others a few hundred tasks each.
func BenchmarkReadyQueueCycle(b *testing.B) {
	for _, users := range []int{1, 100} {
		b.Run(fmt.Sprintf("queued=1000000/users=%d", users), func(b *testing.B) {
			var q readyQueue
			const total = 1_000_000
			each := 300
			if users == 1 {
				each = 0
			}
			id := 1
			for u := 1; u < users; u++ {
				for _, tk := range queuedTasks(id, each, fmt.Sprintf("u%d", u), "default", api.PriorityNormal) {
					q.push(tk)
				}
				id += each
			}
			for _, tk := range queuedTasks(id, total-id+1, "u0", "default", api.PriorityNormal) {
				q.push(tk)
			}
			b.ResetTimer()
			for b.Loop() {
				h := q.head(windowMax)
				for _, tk := range h[:1000] {
					q.remove(tk)
				}
				b.StopTimer()
				for _, tk := range h[:1000] {
					q.push(tk) // back, at the end of their groups' order: they are found by a sort
				}
				b.StartTimer()
			}
		})
	}
}

// TestCompareTasksIsLess: the queue's comparison is the scheduler's order.
func TestCompareTasksIsLess(t *testing.T) {
	var ts []*taskState
	for _, pr := range []api.Priority{api.PriorityLow, api.PriorityHigh} {
		for job := int64(1); job <= 2; job++ {
			for idx := range 2 {
				for id := int64(1); id <= 2; id++ {
					ts = append(ts, &taskState{qt: scheduler.QueuedTask{Priority: pr, JobID: job, Index: idx, TaskID: id}})
				}
			}
		}
	}
	for _, a := range ts {
		for _, b := range ts {
			if less := scheduler.Less(a.qt, b.qt); less != (compareTasks(a, b) < 0) {
				t.Fatalf("%+v vs %+v: Less %v, compareTasks %d", a.qt, b.qt, less, compareTasks(a, b))
			}
		}
	}
}
