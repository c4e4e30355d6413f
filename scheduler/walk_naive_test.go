package scheduler

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// naiveWalk is the reference for the walk's order, quotas and FIFO
// blocking: at every step it looks at every remaining task to pick the
// next, recomputing every queue's and user's effective usage. It knows
// single-node tasks, no tokens, and running work without an end (so that
// backfill queues, holding no reservation, take what fits).
func naiveWalk(s Snapshot) (placements []Placement, unplacedIDs []int64) {
	h := s.HalfLife.Seconds()
	rest := slices.Clone(s.Queue)
	slices.SortStableFunc(rest, compareQueued)
	pos := map[int64]int{}
	for i, t := range rest {
		pos[t.TaskID] = i
	}
	cfg := map[string]Queue{}
	for _, q := range s.Queues {
		cfg[q.Name] = q
	}
	type count struct {
		n     int
		milli int64
	}
	qc, uc := map[string]*count{}, map[[2]string]*count{}
	get := func(q, u string) (*count, *count) {
		if qc[q] == nil {
			qc[q] = &count{}
		}
		if uc[[2]string{q, u}] == nil {
			uc[[2]string{q, u}] = &count{}
		}
		return qc[q], uc[[2]string{q, u}]
	}
	capacity := slices.Clone(s.Nodes)
	for _, r := range s.Running {
		a, b := get(queueName(r.Queue), r.User)
		a.n++
		a.milli += r.MilliCPU
		b.n++
		b.milli += r.MilliCPU
		for i := range capacity {
			if capacity[i].Name == r.Nodes[0] {
				capacity[i].MilliCPU += r.MilliCPU
				capacity[i].Memory += r.Memory
				capacity[i].Slots++
			}
		}
	}
	weight := func(q string) float64 {
		if w := cfg[q].Weight; w > 0 {
			return w
		}
		return 1
	}
	share := func(q string) float64 {
		c, _ := get(q, "")
		return (cfg[q].Usage + h*float64(c.milli)/1000) / weight(q)
	}
	userE := func(q, u string) float64 {
		_, c := get(q, u)
		return cfg[q].UserUsage[u] + h*float64(c.milli)/1000
	}
	free := slices.Clone(s.Nodes)
	blocked := map[string]bool{}
	for len(rest) > 0 {
		if !slices.ContainsFunc(free, func(n Node) bool { return n.Unavailable == "" && n.Slots > 0 }) {
			for _, t := range rest {
				unplacedIDs = append(unplacedIDs, t.TaskID)
			}
			break
		}
		top := rest[0].Priority
		// The queue: least share, then the earliest head of its best user.
		bestUser := func(q string) int {
			b := -1
			for i, t := range rest {
				if t.Priority != top || queueName(t.Queue) != q {
					continue
				}
				if b < 0 || cmp.Or(cmp.Compare(userE(q, t.User), userE(q, rest[b].User)), cmp.Compare(pos[t.TaskID], pos[rest[b].TaskID])) < 0 {
					b = i
				}
			}
			return b
		}
		pick := -1
		for i, t := range rest {
			if t.Priority != top {
				break
			}
			q := queueName(t.Queue)
			b := bestUser(q)
			if b != i {
				continue
			}
			if pick < 0 || cmp.Or(cmp.Compare(share(q), share(queueName(rest[pick].Queue))), cmp.Compare(pos[t.TaskID], pos[rest[pick].TaskID])) < 0 {
				pick = i
			}
		}
		t := rest[pick]
		rest = slices.Delete(rest, pick, pick+1)
		q := queueName(t.Queue)
		if blocked[q] {
			unplacedIDs = append(unplacedIDs, t.TaskID)
			continue
		}
		qn, un := get(q, t.User)
		c := cfg[q]
		if c.MaxRunningPerUser > 0 && un.n >= c.MaxRunningPerUser || c.MaxMilliCPUPerUser > 0 && un.milli+t.MilliCPU > c.MaxMilliCPUPerUser ||
			c.MaxRunning > 0 && qn.n >= c.MaxRunning || c.MaxMilliCPU > 0 && qn.milli+t.MilliCPU > c.MaxMilliCPU {
			unplacedIDs = append(unplacedIDs, t.TaskID)
			continue
		}
		best, _ := naiveScan(free, t)
		if best < 0 {
			unplacedIDs = append(unplacedIDs, t.TaskID)
			if !c.Backfill && slices.ContainsFunc(capacity, func(n Node) bool {
				return n.Unavailable == "" && n.Slots > 0 && n.MilliCPU >= t.MilliCPU && n.Memory >= t.Memory
			}) {
				blocked[q] = true
			}
			continue
		}
		free[best].MilliCPU -= t.MilliCPU
		free[best].Memory -= t.Memory
		free[best].Slots--
		qn.n++
		qn.milli += t.MilliCPU
		un.n++
		un.milli += t.MilliCPU
		placements = append(placements, placed(t.TaskID, free[best].Name))
	}
	slices.Sort(unplacedIDs)
	return placements, unplacedIDs
}

// randomQueues is a random cluster with running work, three queues and
// four users, and a queue of single-node tasks.
func randomQueues(r *rand.Rand) Snapshot {
	s := Snapshot{Now: t0, HalfLife: time.Hour}
	users := []string{"ann", "ben", "cat", "dan"}
	for i := range 1 + r.IntN(6) {
		n := node(fmt.Sprintf("n%d", i), float64(r.IntN(9)), fmt.Sprintf("%dGiB", r.IntN(17)), r.IntN(6))
		if r.IntN(8) == 0 {
			n.Unavailable = "down"
		}
		s.Nodes = append(s.Nodes, n)
		for k := range r.IntN(3) {
			s.Running = append(s.Running, Running{TaskID: int64(9000 + 10*i + k), Queue: []string{"", "a", "b"}[r.IntN(3)],
				User: users[r.IntN(4)], Priority: api.PriorityNormal, MilliCPU: int64(r.IntN(4)) * 500,
				Memory: int64(r.IntN(3)) << 30, Nodes: []string{n.Name}, Start: t0.Add(-time.Hour)})
		}
	}
	for _, name := range []string{"default", "a", "b"} {
		q := Queue{Name: name, Weight: float64(r.IntN(3)), Backfill: r.IntN(2) == 0,
			Usage: float64(r.IntN(3)) * 1800, UserUsage: map[string]float64{}}
		for _, u := range users {
			q.UserUsage[u] = float64(r.IntN(3)) * 900 // ties happen
		}
		switch r.IntN(5) {
		case 0:
			q.MaxRunning = 1 + r.IntN(3)
		case 1:
			q.MaxMilliCPU = int64(1+r.IntN(4)) * 1000
		case 2:
			q.MaxRunningPerUser = 1 + r.IntN(2)
		case 3:
			q.MaxMilliCPUPerUser = int64(1+r.IntN(3)) * 1000
		}
		s.Queues = append(s.Queues, q)
	}
	for j := range 1 + r.IntN(8) {
		user, queue, prio := users[r.IntN(4)], []string{"", "a", "b", "c"}[r.IntN(4)], api.Priority(2+r.IntN(2))
		for k := range 1 + r.IntN(4) {
			s.Queue = append(s.Queue, QueuedTask{TaskID: int64(100*j + k + 1), JobID: int64(j), Index: k, Name: fmt.Sprintf("t%d", k),
				Priority: prio, User: user, Queue: queue,
				MilliCPU: int64(r.IntN(5)) * 500, Memory: int64(r.IntN(5)) << 30})
		}
	}
	return s
}

// TestWalkMatchesNaive compares Schedule's placements, in order, and the
// tasks it leaves waiting with the naive reference on random snapshots.
func TestWalkMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 5000 {
		s := randomQueues(r)
		plan := Schedule(s)
		want, wantUnplaced := naiveWalk(s)
		var got []int64
		for _, u := range plan.Unplaced {
			got = append(got, u.TaskID)
		}
		slices.Sort(got)
		if !reflect.DeepEqual(plan.Placements, want) || !slices.Equal(got, wantUnplaced) {
			var b strings.Builder
			fmt.Fprintf(&b, "queues %+v\nnodes %+v\nrunning %+v\n", s.Queues, s.Nodes, s.Running)
			for _, q := range s.Queue {
				fmt.Fprintf(&b, "  task %d job %d %s queue %q user %s cpu %d mem %d\n", q.TaskID, q.JobID, q.Priority, q.Queue, q.User, q.MilliCPU, q.Memory)
			}
			t.Fatalf("case %d:\n got %v, unplaced %v\nwant %v, unplaced %v\n%s", i, plan.Placements, got, want, wantUnplaced, b.String())
		}
	}
}
