package server

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
)

// TestReadyQueueOrder pushes and removes tasks at random and checks that
// head always returns the live tasks in scheduler order.
func TestReadyQueueOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q readyQueue
	all := make([]*taskState, 3000)
	for i := range all {
		all[i] = &taskState{qt: scheduler.QueuedTask{TaskID: int64(i + 1), JobID: int64(i/3 + 1), Index: i % 3, Priority: api.Priority(rng.IntN(3) + 2)}}
	}
	for step := range 20000 {
		tk := all[rng.IntN(len(all))]
		if rng.IntN(3) == 0 {
			q.remove(tk)
		} else {
			q.push(tk)
		}
		if step%500 != 0 {
			continue
		}
		var want []*taskState
		for _, x := range all {
			if x.queued {
				want = append(want, x)
			}
		}
		slices.SortFunc(want, func(a, b *taskState) int {
			if scheduler.Less(a.qt, b.qt) {
				return -1
			}
			return 1
		})
		got := q.head(len(all))
		if len(got) != len(want) || q.live != len(want) {
			t.Fatalf("step %d: head has %d tasks, live %d, want %d", step, len(got), q.live, len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("step %d: position %d is task %d, want %d", step, i, got[i].qt.TaskID, want[i].qt.TaskID)
			}
		}
		if h := q.head(10); len(h) != min(10, len(want)) {
			t.Fatalf("step %d: head(10) returned %d", step, len(h))
		}
	}
}
