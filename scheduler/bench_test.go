package scheduler

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

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

// benchQueues is benchSnapshot with the scheduler's depth: jobs of 500
// users in five queues (FIFO and backfill, weights, quotas, preemption),
// with past usage, and nodes half busy with attempts that end at various
// times, so that reservations and victims have something to look at.
func benchQueues(numTasks, numNodes int) Snapshot {
	s := benchSnapshot(numTasks, numNodes)
	r := rand.New(rand.NewPCG(uint64(numTasks), 7))
	s.Now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.HalfLife = 24 * time.Hour
	s.Queues = []Queue{
		{Name: "default"},
		{Name: "short", Backfill: true, MaxRunningPerUser: 50},
		{Name: "long", Weight: 2},
		{Name: "urgent", Backfill: true, Preemption: true},
		{Name: "batch", Weight: 0.5, MaxMilliCPU: 2000_000},
	}
	users := make([]string, 500)
	for i := range users {
		users[i] = fmt.Sprintf("user%03d", i)
	}
	for i := range s.Queues {
		s.Queues[i].UserUsage = map[string]float64{}
		for _, u := range users {
			s.Queues[i].UserUsage[u] = r.Float64() * 1e6
			s.Queues[i].Usage += s.Queues[i].UserUsage[u]
		}
	}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		for k := range 8 {
			q := s.Queues[r.IntN(len(s.Queues))].Name
			run := Running{TaskID: int64(10_000_000 + i*8 + k), JobID: 1, Queue: q, User: users[r.IntN(len(users))],
				Priority: api.Priority(1 + r.IntN(3)), MilliCPU: 2000, Memory: 8 << 30, Nodes: []string{n.Name},
				Start: s.Now.Add(-time.Duration(r.IntN(3600)) * time.Second)}
			if k%4 != 0 {
				run.End = s.Now.Add(time.Duration(1+r.IntN(7200)) * time.Second)
			}
			s.Running = append(s.Running, run)
			n.MilliCPU -= run.MilliCPU
			n.Memory -= run.Memory
			n.Slots--
		}
	}
	// A job's tasks share a user and queue (tasks of one job are adjacent
	// once sorted); some ask for a walltime, a few for several nodes.
	for i := range s.Queue {
		t := &s.Queue[i]
		jr := rand.New(rand.NewPCG(uint64(t.JobID), 11))
		t.User = users[jr.IntN(len(users))]
		t.Queue = s.Queues[jr.IntN(len(s.Queues))].Name
		if jr.IntN(2) == 0 {
			t.Walltime = time.Duration(1+jr.IntN(120)) * time.Minute
		}
		if t.Index%50 == 7 {
			t.Nodes = 4
		}
	}
	slices.SortFunc(s.Queue, compareQueued)
	return s
}

// BenchmarkScheduleQueues measures one cycle with queues, fair share,
// quotas, backfill and preemption: the server's window of the queue's
// head (20,000 tasks), and the whole of a 1,000,000-task queue.
func BenchmarkScheduleQueues(b *testing.B) {
	for _, size := range []struct{ tasks, nodes int }{{20_000, 1_000}, {1_000_000, 1_000}} {
		b.Run(fmt.Sprintf("tasks=%d/nodes=%d", size.tasks, size.nodes), func(b *testing.B) {
			s := benchQueues(size.tasks, size.nodes)
			var plan Plan
			b.ReportAllocs()
			for b.Loop() {
				plan = Schedule(s)
			}
			b.ReportMetric(float64(len(plan.Placements)), "placed")
			b.ReportMetric(float64(len(plan.Preemptions)), "preempted")
		})
	}
}

// BenchmarkFairShare measures a charge and the reads of one cycle's
// queue table (5 queues, 500 users).
func BenchmarkFairShare(b *testing.B) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := NewFairShare(24 * time.Hour)
	queues := []Queue{{Name: "default"}, {Name: "short"}, {Name: "long"}, {Name: "urgent"}, {Name: "batch"}}
	for i := range 2500 {
		f.Charge(queues[i%5].Name, fmt.Sprintf("user%03d", i/5), float64(i), now.Add(-time.Duration(i)*time.Second))
	}
	b.Run("charge", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			f.Charge("short", "user042", 1, now.Add(time.Duration(i)*time.Millisecond))
		}
	})
	b.Run("fill", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f.Fill(queues, now)
		}
	})
}
