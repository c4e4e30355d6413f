package scheduler

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// naiveSchedule is the reference for Schedule: the same rules written
// plainly, scanning every node for every task and counting its reasons
// afresh, with no shape cache. It knows one queue of one user, with
// nothing running: strict FIFO, or with Backfill (which, with nothing
// running that could end, is the plain greedy walk).
func naiveSchedule(s Snapshot) Plan {
	queue := slices.Clone(s.Queue)
	sort.SliceStable(queue, func(i, j int) bool { return Less(queue[i], queue[j]) })
	free := slices.Clone(s.Nodes)
	fifo := len(s.Queues) == 0 || !s.Queues[0].Backfill
	var plan Plan
	var blocked []Reason
	for _, t := range queue {
		if blocked != nil {
			plan.Unplaced = append(plan.Unplaced, unplaced(t.TaskID, blocked...))
			continue
		}
		if len(free) == 0 {
			plan.Unplaced = append(plan.Unplaced, unplaced(t.TaskID, reason(0, "no nodes registered")))
			continue
		}
		if rs, full := naiveFull(free); full {
			plan.Unplaced = append(plan.Unplaced, unplaced(t.TaskID, rs...))
			continue
		}
		best, rs := naiveScan(free, t)
		if best < 0 {
			plan.Unplaced = append(plan.Unplaced, unplaced(t.TaskID, rs...))
			if fifo && naiveCouldHold(s.Nodes, t) {
				blocked = []Reason{reason(0, fmt.Sprintf("waiting behind job %d task %s (queue default is first in, first out)", t.JobID, t.Name))}
			}
			continue
		}
		free[best].MilliCPU -= t.MilliCPU
		free[best].Memory -= t.Memory
		free[best].Slots--
		plan.Placements = append(plan.Placements, placed(t.TaskID, free[best].Name))
	}
	return plan
}

// naiveCouldHold reports whether t fits on a node that takes work, as the
// snapshot had it before anything was placed: nothing runs, so that is
// all the room there will be.
func naiveCouldHold(nodes []Node, t QueuedTask) bool {
	for _, n := range nodes {
		if n.Unavailable == "" && n.Slots > 0 && n.MilliCPU >= t.MilliCPU && n.Memory >= t.Memory {
			return true
		}
	}
	return false
}

// naiveFull reports whether no available node has a free slot, and the
// reasons then given: the nodes' own when none is available at all.
func naiveFull(free []Node) ([]Reason, bool) {
	counts := map[string]int{}
	available := false
	for _, n := range free {
		if n.Unavailable != "" {
			counts[n.Unavailable]++
			continue
		}
		available = true
		if n.Slots > 0 {
			return nil, false
		}
	}
	if available {
		return []Reason{reason(len(free), "no free node")}, true
	}
	return naiveReasons(counts), true
}

// naiveScan returns the best node for t, or -1 and why none fits.
func naiveScan(free []Node, t QueuedTask) (int, []Reason) {
	best := -1
	counts := map[string]int{}
	var cpuMost, memMost int64
	for i, n := range free {
		switch {
		case n.Unavailable != "":
			counts[n.Unavailable]++
		case n.Slots <= 0:
			counts["no free slot"]++
		case n.MilliCPU < t.MilliCPU:
			counts["cpu"]++
			cpuMost = max(cpuMost, n.MilliCPU)
		case n.Memory < t.Memory:
			counts["mem"]++
			memMost = max(memMost, n.Memory)
		case best < 0 || cmp.Or(cmp.Compare(n.MilliCPU, free[best].MilliCPU),
			cmp.Compare(n.Memory, free[best].Memory), strings.Compare(n.Name, free[best].Name)) < 0:
			best = i
		}
	}
	if c := counts["cpu"]; c > 0 {
		delete(counts, "cpu")
		counts[fmt.Sprintf("not enough cpu (needs %s cpu, most free %s)", formatCPU(t.MilliCPU), formatCPU(cpuMost))] += c
	}
	if c := counts["mem"]; c > 0 {
		delete(counts, "mem")
		counts[fmt.Sprintf("not enough memory (needs %s, most free %s)", api.ByteSize(t.Memory), api.ByteSize(memMost))] += c
	}
	return best, naiveReasons(counts)
}

func naiveReasons(counts map[string]int) []Reason {
	var out []Reason
	for m, c := range counts {
		out = append(out, reason(c, m))
	}
	slices.SortFunc(out, func(a, b Reason) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Message, b.Message))
	})
	return out
}

// randomSnapshot is a cluster and a queue drawn from a few node kinds and
// task shapes, so that shapes repeat, nest and run out of room.
func randomSnapshot(r *rand.Rand, shapes int) Snapshot {
	var s Snapshot
	for i := range r.IntN(12) {
		n := node(fmt.Sprintf("n%02d", i), float64(r.IntN(9))/2, fmt.Sprintf("%dGiB", r.IntN(17)), r.IntN(5))
		if r.IntN(6) == 0 {
			n.Unavailable = []string{"down", "locked"}[r.IntN(2)]
		}
		s.Nodes = append(s.Nodes, n)
	}
	kinds := make([]shape, shapes)
	for i := range kinds {
		kinds[i] = shape{cpu: int64(r.IntN(10)) * 500, mem: int64(r.IntN(10)) << 30}
	}
	for i := range r.IntN(60) {
		k := kinds[r.IntN(len(kinds))]
		s.Queue = append(s.Queue, QueuedTask{TaskID: int64(i + 1), JobID: int64(r.IntN(6)), Index: r.IntN(4), Name: fmt.Sprintf("t%d", i+1),
			Priority: api.Priority(r.IntN(3) + 2), MilliCPU: k.cpu, Memory: k.mem})
	}
	return s
}

// TestScheduleMatchesNaive compares Schedule with the naive reference on
// random snapshots, in a FIFO queue and in a backfill queue. The placements and the order of unplaced tasks must be
// the same. Reasons must be the same when the queue has one shape; with
// several, a task whose shape covers an earlier rejected one shares that
// scan's counts, so only the invariants are compared: every node counted
// once, and the task's own needs in the messages.
func TestScheduleMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		shapes := 1 + i%4
		s := randomSnapshot(r, shapes)
		if i%2 == 1 {
			s.Queues = []Queue{{Name: "default", Backfill: true}}
		}
		got, want := Schedule(s), naiveSchedule(s)
		if !reflect.DeepEqual(got.Placements, want.Placements) {
			t.Fatalf("case %d: placements differ\n got %v\nwant %v\nsnapshot %+v", i, got.Placements, want.Placements, s)
		}
		if shapes == 1 && !reflect.DeepEqual(got.Unplaced, want.Unplaced) {
			t.Fatalf("case %d: unplaced differ\n got %+v\nwant %+v\nsnapshot %+v", i, got.Unplaced, want.Unplaced, s)
		}
		if len(got.Unplaced) != len(want.Unplaced) {
			t.Fatalf("case %d: %d unplaced, want %d", i, len(got.Unplaced), len(want.Unplaced))
		}
		for j, u := range got.Unplaced {
			if u.TaskID != want.Unplaced[j].TaskID {
				t.Fatalf("case %d: unplaced[%d] is task %d, want %d", i, j, u.TaskID, want.Unplaced[j].TaskID)
			}
			checkReasons(t, s, u)
		}
	}
}

// checkReasons checks the invariants of one task's reasons.
func checkReasons(t *testing.T, s Snapshot, u Unplaced) {
	t.Helper()
	var task QueuedTask
	for _, q := range s.Queue {
		if q.TaskID == u.TaskID {
			task = q
		}
	}
	if len(u.Reasons) == 1 && strings.HasPrefix(u.Reasons[0].Message, "waiting behind ") {
		return // not examined: the FIFO queue is blocked
	}
	total := 0
	for _, r := range u.Reasons {
		total += r.Count
		if strings.HasPrefix(r.Message, "not enough cpu (needs ") &&
			!strings.HasPrefix(r.Message, "not enough cpu (needs "+formatCPU(task.MilliCPU)+" cpu,") {
			t.Errorf("task %d needs %d mCPU, reason says %q", u.TaskID, task.MilliCPU, r.Message)
		}
		if strings.HasPrefix(r.Message, "not enough memory (needs ") &&
			!strings.HasPrefix(r.Message, "not enough memory (needs "+api.ByteSize(task.Memory).String()+",") {
			t.Errorf("task %d needs %d bytes, reason says %q", u.TaskID, task.Memory, r.Message)
		}
	}
	if total != len(s.Nodes) {
		t.Errorf("task %d: reasons count %d nodes, the snapshot has %d: %+v", u.TaskID, total, len(s.Nodes), u.Reasons)
	}
}
