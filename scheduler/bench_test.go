package scheduler

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// benchSnapshot is a busy cluster: nodes of 32 cores, 128GiB and 32 slots,
// a queue of tasks from a few common shapes plus some that fit nowhere,
// over three priorities, in random order.
func benchSnapshot(numTasks, numNodes int) Snapshot {
	r := rand.New(rand.NewPCG(uint64(numTasks), uint64(numNodes)))
	s := Snapshot{Nodes: make([]Node, numNodes), Queue: make([]QueuedTask, numTasks)}
	for i := range s.Nodes {
		s.Nodes[i] = node(fmt.Sprintf("node-%04d", i), 32, "128GiB", 32)
		if i%50 == 49 {
			s.Nodes[i].Unavailable = "down"
		}
	}
	shapes := []shape{
		{500, 512 << 20}, {1000, 2 << 30}, {2000, 4 << 30}, {4000, 16 << 30}, {8000, 64 << 30},
		{64000, 1 << 30}, // more cores than any node has
	}
	for i := range s.Queue {
		k := shapes[r.IntN(len(shapes))]
		s.Queue[i] = QueuedTask{TaskID: int64(i + 1), JobID: int64(i / 100), Index: i % 100,
			Priority: api.Priority(2 + r.IntN(3)), MilliCPU: k.cpu, Memory: k.mem}
	}
	r.Shuffle(len(s.Queue), func(i, j int) { s.Queue[i], s.Queue[j] = s.Queue[j], s.Queue[i] })
	return s
}

// BenchmarkSchedule measures one cycle. "sorted" hands Schedule a queue
// already in order, as the server keeps it; the others pay for the sort.
func BenchmarkSchedule(b *testing.B) {
	for _, size := range []struct {
		tasks, nodes int
		sorted       bool
	}{
		{10_000, 2, false}, {10_000, 100, false}, {10_000, 1_000, false}, {100_000, 1_000, false},
		{100_000, 1_000, true},
	} {
		name := fmt.Sprintf("tasks=%d/nodes=%d", size.tasks, size.nodes)
		if size.sorted {
			name += "/sorted"
		}
		b.Run(name, func(b *testing.B) {
			s := benchSnapshot(size.tasks, size.nodes)
			if size.sorted {
				slices.SortFunc(s.Queue, compareQueued)
			}
			var plan Plan
			b.ReportAllocs()
			for b.Loop() {
				plan = Schedule(s)
			}
			b.ReportMetric(float64(len(plan.Placements)), "placed")
		})
	}
}
