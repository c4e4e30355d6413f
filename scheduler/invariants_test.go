package scheduler

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// randomDepth is a random snapshot using everything at once: queues with
// weights, quotas, backfill and preemption, users, running work with and
// without an end, walltimes, multi-node tasks, hosts.
func randomDepth(r *rand.Rand) Snapshot {
	s := Snapshot{Now: t0, HalfLife: time.Hour}
	users := []string{"ann", "ben", "cat"}
	queues := []string{"default", "a", "b"}
	for _, name := range queues {
		q := Queue{Name: name, Weight: float64(r.IntN(3)), Backfill: r.IntN(2) == 0, Preemption: r.IntN(2) == 0,
			Usage: float64(r.IntN(4)) * 1000, UserUsage: map[string]float64{"ann": float64(r.IntN(3)) * 500}}
		if r.IntN(3) == 0 {
			q.MaxRunningPerUser = 1 + r.IntN(3)
		}
		if r.IntN(3) == 0 {
			q.MaxMilliCPU = int64(2+r.IntN(8)) * 1000
		}
		s.Queues = append(s.Queues, q)
	}
	for i := range 1 + r.IntN(8) {
		n := node(fmt.Sprintf("n%d", i), float64(r.IntN(9)), fmt.Sprintf("%dGiB", r.IntN(17)), r.IntN(5))
		n.Host = fmt.Sprintf("h%d", r.IntN(4))
		if r.IntN(10) == 0 {
			n.Unavailable = "down"
		}
		s.Nodes = append(s.Nodes, n)
		for k := range r.IntN(4) {
			run := Running{TaskID: int64(9000 + 10*i + k), Queue: queues[r.IntN(3)], User: users[r.IntN(3)],
				Priority: api.Priority(1 + r.IntN(4)), MilliCPU: int64(r.IntN(5)) * 500, Memory: int64(r.IntN(4)) << 30,
				Nodes: []string{n.Name}, Start: t0.Add(-time.Duration(1+r.IntN(100)) * time.Minute)}
			if r.IntN(2) == 0 {
				run.End = t0.Add(time.Duration(1+r.IntN(100)) * time.Minute)
			}
			s.Running = append(s.Running, run)
		}
	}
	for j := range 1 + r.IntN(10) {
		user, queue, prio := users[r.IntN(3)], queues[r.IntN(3)], api.Priority(1+r.IntN(5))
		for k := range 1 + r.IntN(4) {
			t := QueuedTask{TaskID: int64(100*j + k + 1), JobID: int64(j), Index: k, Name: "t", Priority: prio, User: user, Queue: queue,
				MilliCPU: int64(r.IntN(6)) * 500, Memory: int64(r.IntN(5)) << 30, Preempting: r.IntN(20) == 0}
			if r.IntN(2) == 0 {
				t.Walltime = time.Duration(1+r.IntN(100)) * time.Minute
			}
			if r.IntN(5) == 0 {
				t.Nodes, t.DistinctHosts = 2+r.IntN(3), r.IntN(2) == 0
			}
			s.Queue = append(s.Queue, t)
		}
	}
	return s
}

// TestPlanInvariants checks on random snapshots what every plan must
// respect, whatever the order: each task once, no node over-committed,
// multi-node slots all there and on distinct hosts when asked, quotas,
// and preemptions only of lower-priority tasks of the same preemptive
// queue, for tasks that wait.
func TestPlanInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	preemptions := 0
	multi := 0
	for i := range 5000 {
		s := randomDepth(r)
		plan := Schedule(s)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("case %d: %s\nplan %+v\nsnapshot %+v", i, fmt.Sprintf(format, args...), plan, s)
		}
		tasks := map[int64]QueuedTask{}
		for _, q := range s.Queue {
			tasks[q.TaskID] = q
		}
		seen := map[int64]bool{}
		for _, u := range plan.Unplaced {
			if seen[u.TaskID] {
				fail("task %d listed twice", u.TaskID)
			}
			seen[u.TaskID] = true
		}
		type use struct {
			cpu, mem int64
			slots    int
		}
		used := map[string]*use{}
		cfg := map[string]Queue{}
		for _, q := range s.Queues {
			cfg[q.Name] = q
		}
		count := map[[2]string]int{}
		qcpu := map[string]int64{}
		for _, run := range s.Running {
			count[[2]string{run.Queue, run.User}]++
			qcpu[run.Queue] += run.MilliCPU
		}
		for _, p := range plan.Placements {
			if seen[p.TaskID] {
				fail("task %d listed twice", p.TaskID)
			}
			seen[p.TaskID] = true
			task := tasks[p.TaskID]
			nodes := append([]string{p.Node}, p.Others...)
			if len(nodes) != max(1, task.Nodes) {
				fail("task %d needs %d nodes, got %v", p.TaskID, task.Nodes, nodes)
			}
			if task.Nodes > 1 {
				multi++
			}
			hosts := map[string]bool{}
			for _, name := range nodes {
				if used[name] == nil {
					used[name] = &use{}
				}
				used[name].cpu += task.MilliCPU
				used[name].mem += task.Memory
				used[name].slots++
				for _, n := range s.Nodes {
					if n.Name == name {
						if task.DistinctHosts && hosts[n.Host] {
							fail("task %d has two slots on host %s", p.TaskID, n.Host)
						}
						hosts[n.Host] = true
					}
				}
			}
			q := cfg[queueName(task.Queue)]
			count[[2]string{q.Name, task.User}]++
			qcpu[q.Name] += task.MilliCPU * int64(len(nodes))
			if q.MaxRunningPerUser > 0 && count[[2]string{q.Name, task.User}] > q.MaxRunningPerUser {
				fail("user %s runs more than %d tasks in queue %s", task.User, q.MaxRunningPerUser, q.Name)
			}
			if q.MaxMilliCPU > 0 && qcpu[q.Name] > q.MaxMilliCPU {
				fail("queue %s runs more than %d mCPU", q.Name, q.MaxMilliCPU)
			}
		}
		if len(seen) != len(s.Queue) {
			fail("%d tasks in the plan, %d queued", len(seen), len(s.Queue))
		}
		for _, n := range s.Nodes {
			if u := used[n.Name]; u != nil && (n.Unavailable != "" || u.cpu > n.MilliCPU || u.mem > n.Memory || u.slots > n.Slots) {
				fail("node %s over-committed: %+v of %+v", n.Name, *u, n)
			}
		}
		victims := map[int64]bool{}
		for _, pr := range plan.Preemptions {
			preemptions++
			if victims[pr.TaskID] {
				fail("victim %d picked twice", pr.TaskID)
			}
			victims[pr.TaskID] = true
			var run Running
			for _, x := range s.Running {
				if x.TaskID == pr.TaskID {
					run = x
				}
			}
			task := tasks[pr.For]
			if run.Priority >= task.Priority || queueName(run.Queue) != queueName(task.Queue) || !cfg[queueName(task.Queue)].Preemption || task.Preempting {
				fail("task %d (%s, queue %s) may not preempt %d (%s, queue %s)", task.TaskID, task.Priority, task.Queue, run.TaskID, run.Priority, run.Queue)
			}
			for _, p := range plan.Placements {
				if p.TaskID == pr.For {
					fail("task %d preempted and was placed", pr.For)
				}
			}
		}
	}
	if preemptions < 100 || multi < 100 {
		t.Fatalf("too few cases exercised: %d preemptions, %d multi-node placements", preemptions, multi)
	}
}
