package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// randomScenario makes a small cluster and workload from a seed, with
// every feature the simulator knows: hosts, queues of both policies with
// quotas and preemption, priorities, multi-node tasks, dependencies,
// replicas, failures, retries and walltimes.
func randomScenario(seed uint64) (Cluster, Workload) {
	r := rand.New(rand.NewPCG(seed, 7))
	var c Cluster
	for i := range 2 + r.IntN(5) {
		c.Nodes = append(c.Nodes, NodeSpec{Name: fmt.Sprintf("n%d", i), CPUs: float64(1 + r.IntN(8)),
			Memory: Size(1+r.IntN(16)) << 30, Host: fmt.Sprintf("h%d", i/2)})
	}
	queues := []string{"default"}
	for i := range r.IntN(3) {
		q := QueueSpec{Name: fmt.Sprintf("q%d", i), Weight: float64(1 + r.IntN(3)), Preemption: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			q.Policy = "backfill"
		}
		if r.IntN(2) == 0 {
			q.MaxRunning = 1 + r.IntN(4)
		}
		if r.IntN(2) == 0 {
			q.MaxRunningPerUser = 1 + r.IntN(3)
		}
		if r.IntN(3) == 0 {
			q.MaxCPUsPerUser = float64(2 + r.IntN(6))
		}
		c.Queues = append(c.Queues, q)
		queues = append(queues, q.Name)
	}
	c.FairShareHalfLife = Duration(time.Duration(1+r.IntN(120)) * time.Minute)
	var w Workload
	for range 3 + r.IntN(12) {
		j := JobSpec{Submit: Duration(time.Duration(r.IntN(600)) * time.Second), User: fmt.Sprintf("u%d", r.IntN(3)),
			Queue: queues[r.IntN(len(queues))], Priority: api.PriorityNames()[1+r.IntN(5)]}
		for k := range 1 + r.IntN(4) {
			cpu := float64(1 + r.IntN(4))
			t := TaskSpec{Name: fmt.Sprintf("t%d", k), CPU: &cpu, Memory: Size(r.IntN(4)) << 30,
				Duration: Duration(time.Duration(1+r.IntN(30)) * time.Minute)}
			if r.IntN(3) == 0 {
				t.Walltime = Duration(time.Duration(1+r.IntN(40)) * time.Minute)
			}
			if r.IntN(4) == 0 {
				t.Nodes = 2 + r.IntN(2)
				t.DistinctHosts = r.IntN(2) == 0
			}
			if r.IntN(3) == 0 {
				t.Replicate = 2 + r.IntN(4)
			}
			if k > 0 && r.IntN(2) == 0 {
				t.DependsOn = []string{fmt.Sprintf("t%d", r.IntN(k))}
			}
			if r.IntN(4) == 0 {
				t.Fail = []int{1}
				t.MaxAttempts = 1 + r.IntN(2)
				t.RetryDelay = Duration(time.Duration(r.IntN(3)) * time.Minute)
			}
			j.Tasks = append(j.Tasks, t)
		}
		w.Jobs = append(w.Jobs, j)
	}
	return c, w
}

// TestRandomScenarios runs seeded random scenarios with the books
// checked after every instant (resources, quotas, distinct hosts), and
// checks that every plan the scheduler made could be applied (none
// refused) and that every task ends up accounted for.
func TestRandomScenarios(t *testing.T) {
	for seed := range uint64(150) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			c, w := randomScenario(seed)
			e, err := New(c, w)
			if err != nil {
				t.Fatal(err)
			}
			var log logLines
			e.Log = &log
			e.MaxTime = 48 * time.Hour
			runChecked(t, e)
			s := e.Stats()
			if s.Refused > 0 {
				t.Errorf("%d placements refused:\n%s", s.Refused, log)
			}
			if len(e.events) > 0 {
				return // stopped at the time limit
			}
			if len(e.running) != 0 {
				t.Errorf("%d attempts still running at the end:\n%s", len(e.running), log)
			}
			// Every task ended, waits in the queue (the log says stuck), or
			// waits for a dependency that did not finish.
			blocked := 0
			for _, tk := range e.tasks {
				if tk.queued || tk.job.dag.State(int(tk.index)) != api.TaskPending {
					continue
				}
				blocked++
				if !slices.ContainsFunc(tk.spec.deps, func(d int) bool { return tk.job.dag.State(d) != api.TaskFinished }) {
					t.Errorf("job %d task %s neither ended, nor queued, nor waiting for a dependency:\n%s", tk.job.id, tk.name(), log)
				}
			}
			if s.Finished+s.Failed+s.Skipped+e.pending.live+blocked != s.Tasks {
				t.Errorf("finished %d + failed %d + skipped %d + pending %d + blocked %d != %d tasks:\n%s",
					s.Finished, s.Failed, s.Skipped, e.pending.live, blocked, s.Tasks, log)
			}
		})
	}
}

// logLines keeps a log for failure messages.
type logLines []byte

func (l *logLines) Write(p []byte) (int, error) { *l = append(*l, p...); return len(p), nil }
func (l logLines) String() string               { return string(l) }
