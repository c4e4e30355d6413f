package sim

import (
	"container/heap"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// backlog1M is the scale scenario of issue 6, point 14: 1,000 nodes of 32
// cores, 128GiB and 32 slots, and 1,000,000 queued tasks from 100 users
// in 4 queues (10,000 jobs of 100 instances, three shapes, three
// priorities).
func backlog1M() (Cluster, Workload) {
	c := Cluster{Nodes: []NodeSpec{{Count: 1000, Prefix: "node-", CPUs: 32, Memory: 128 << 30, Slots: 32}},
		Queues: []QueueSpec{
			{Name: "default", Weight: 1},
			{Name: "short", Weight: 2, Policy: "backfill"},
			{Name: "long", Weight: 1, MaxRunningPerUser: 2000},
			{Name: "urgent", Weight: 4, Preemption: true},
		}}
	var w Workload
	shapes := []struct {
		cpu float64
		mem Size
	}{{1, 2 << 30}, {2, 4 << 30}, {4, 16 << 30}}
	queues := []string{"default", "short", "long", "urgent"}
	priorities := []string{"normal", "normal", "low", "high"}
	for j := range 10_000 {
		s := shapes[j%len(shapes)]
		cpu := s.cpu
		w.Jobs = append(w.Jobs, JobSpec{User: fmt.Sprintf("user%02d", j%100), Queue: queues[j%len(queues)],
			Priority: priorities[(j/7)%len(priorities)],
			Tasks:    []TaskSpec{{Name: "t", CPU: &cpu, Memory: s.mem, Duration: Duration(3600e9), Walltime: Duration(7200e9), Replicate: 100}}})
	}
	return c, w
}

// submitAll applies every event due at the engine's next instant (the
// submissions at t=0) without running a cycle.
func submitAll(e *Engine) {
	at := e.events[0].at
	for len(e.events) > 0 && e.events[0].at == at {
		e.apply(heap.Pop(&e.events).(event))
	}
}

// occupy starts busy tasks of one core on every node until each has
// `free` slots left, so that a cycle meets a partly busy cluster.
func occupy(e *Engine, free int) {
	one := 1.0
	sp := resolve(TaskSpec{Name: "busy", CPU: &one, Duration: Duration(3600e9)})
	j := &job{id: 0, user: "busy", queue: "default", priority: 3}
	for _, n := range e.nodes {
		for n.freeSlot > int64(free) {
			t := &task{id: int64(len(e.tasks) + 1), job: j, spec: sp, replica: -1}
			e.tasks = append(e.tasks, t)
			a := &attempt{task: t}
			a.nodes = append(a.one[:0], n)
			e.start(a)
		}
	}
}

// BenchmarkCycle1M measures one full cycle (window selection, snapshot,
// scheduler.Schedule, plan applied) with 1,000,000 queued tasks and 1,000
// nodes of 32 slots: "busy" nodes each have 24 slots taken and 8 free
// (the steady state of a loaded cluster), "idle" nodes are all free, so
// that the cycle places a whole 20,000-task window (the worst case, when
// a backlog meets an empty cluster). After each cycle, outside the
// timer, the attempts it started are stopped and re-queued, so every
// cycle meets the same state. It also reports the engine's memory per
// queued task (heap growth while the backlog was submitted), the CPU
// time per cycle (all threads: on a loaded machine, a cycle's own cost)
// and the part of a cycle spent in scheduler.Schedule.
func BenchmarkCycle1M(b *testing.B) {
	for _, bc := range []struct {
		name string
		free int
	}{{"busy", 8}, {"idle", 32}} {
		b.Run(bc.name, func(b *testing.B) { benchCycle(b, bc.free) })
	}
}

func benchCycle(b *testing.B, free int) {
	c, w := backlog1M()
	e, err := New(c, w)
	if err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	submitAll(e)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if e.pending.live != 1_000_000 {
		b.Fatalf("backlog has %d tasks", e.pending.live)
	}
	occupy(e, free)
	busy := len(e.running)
	placed := 0
	b.ReportAllocs()
	b.ResetTimer()
	var cpu time.Duration
	for b.Loop() {
		before := processCPU()
		e.Cycle()
		cpu += processCPU() - before
		b.StopTimer()
		placed = len(e.running) - busy
		for len(e.running) > busy {
			a := e.running[len(e.running)-1]
			e.stop(a)
			e.pending.push(a.task)
		}
		e.events = e.events[:0]
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(e.stats.ScheduleTotal.Microseconds())/1e3/float64(e.stats.Cycles), "schedule-ms/op")
	b.ReportMetric(float64(placed), "placed/cycle")
	b.ReportMetric(float64(e.stats.Window), "window")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1e6, "B/queued-task")
}
