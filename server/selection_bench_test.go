package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
	"github.com/shrike-grid/shrike/store"
)

// benchSelectionServer is a server with n registered nodes (no agents:
// the registry only) and one queued task with a static selection script
// that selects one node in ten.
func benchSelectionServer(b *testing.B, n int) *Server { return benchSelectionServerT(b, n) }

func benchSelectionServerT(b testing.TB, n int) *Server {
	b.Helper()
	srv, err := New(TestConfig(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.closeAll)
	if err := srv.ensureDefaultSource(context.Background()); err != nil {
		b.Fatal(err)
	}
	now := srv.now()
	for i := range n {
		f := api.NodeFacts{Hostname: fmt.Sprintf("h%d", i), OS: "linux", Arch: "amd64", CPUs: 8, Slots: 8,
			MemoryTotal: 32 << 30, MemoryFree: 16 << 30, Custom: map[string]string{"rack": fmt.Sprint(i % 10)}}
		nd := srv.reg.Register(fmt.Sprintf("n%05d", i), "i", f, now)
		nd.Confirm(now)
		nd.Source = DefaultSource
	}
	spec := &api.TaskSpec{Name: "t", Command: []string{"true"}, Resources: api.Resources{CPU: 1}, MaxAttempts: 1,
		Selection: []api.SelectionScript{{Lua: `return node.facts.rack == "3" and sel.min_memory("16GiB")`, Type: api.SelectionStatic}}}
	j := &jobState{rec: store.JobRecord{ID: 1, Owner: "admin", State: string(api.JobPending)}, spec: api.JobSpec{Name: "j", Tasks: []api.TaskSpec{*spec}}}
	t := &taskState{job: j, spec: &j.spec.Tasks[0]}
	t.rec.ID, t.rec.JobID, t.rec.State = 1, 1, string(api.TaskPending)
	t.qt = scheduler.QueuedTask{TaskID: 1, JobID: 1, Name: "t", MilliCPU: 1000, User: "admin"}
	j.tasks = []*taskState{t}
	srv.jobs[1], srv.tasks[1] = j, t
	srv.ready.push(t)
	return srv
}

// decide is one scheduling decision as cycle makes it, without applying
// the plan: snapshot, classes with their verdicts, Schedule.
func (s *Server) decide() scheduler.Plan {
	s.mu.Lock()
	snap, head := s.snapshot()
	classes, nodes := s.classify(&snap, head)
	s.mu.Unlock()
	if len(classes) > 0 {
		s.evaluateClasses(context.Background(), &snap, classes, nodes)
	}
	return scheduler.Schedule(snap)
}

// BenchmarkSelectionDecision is a placement decision for a task with a
// static selection script over 10,000 nodes, with every verdict cached
// (warm: the state after the first cycle, nodes unchanged), and the same
// with the cache emptied before each decision (cold).
func BenchmarkSelectionDecision(b *testing.B) {
	for _, warm := range []bool{true, false} {
		name := "cold"
		if warm {
			name = "warm"
		}
		b.Run(fmt.Sprintf("%s/nodes=10000", name), func(b *testing.B) {
			srv := benchSelectionServer(b, 10_000)
			if plan := srv.decide(); len(plan.Placements) != 1 {
				b.Fatalf("plan %+v, want one placement", plan)
			}
			b.ResetTimer()
			for b.Loop() {
				if !warm {
					b.StopTimer()
					srv.sel = mustSelector(b)
					b.StartTimer()
				}
				if plan := srv.decide(); len(plan.Placements) != 1 {
					b.Fatal("no placement")
				}
			}
		})
	}
}

func mustSelector(b *testing.B) *selector {
	sel, err := newSelector(0)
	if err != nil {
		b.Fatal(err)
	}
	return sel
}

// TestSelectionFollowsFactChanges: verdicts reused from the last cycle or
// the cache never outlive a change of the node's facts.
func TestSelectionFollowsFactChanges(t *testing.T) {
	srv := benchSelectionServerT(t, 20) // rack = i % 10; the script wants rack 3
	place := func() string {
		plan := srv.decide()
		if len(plan.Placements) != 1 {
			t.Fatalf("plan %+v", plan)
		}
		return plan.Placements[0].Node
	}
	if got := place(); got != "n00003" {
		t.Fatalf("placed on %s, want n00003 (the first node of rack 3)", got)
	}
	evals := srv.sel.engine.Evaluations()
	if got := place(); got != "n00003" || srv.sel.engine.Evaluations() != evals {
		t.Fatalf("second decision: %s, %d new evaluations", got, srv.sel.engine.Evaluations()-evals)
	}
	now := srv.now()
	moved := srv.reg.Get("n00000")
	f := moved.Facts
	f.Custom = map[string]string{"rack": "3"}
	srv.reg.Register("n00000", "i2", f, now)
	moved.Confirm(now)
	if got := place(); got != "n00000" {
		t.Fatalf("after n00000 moved to rack 3: placed on %s", got)
	}
	if n := srv.sel.engine.Evaluations() - evals; n != 1 {
		t.Errorf("%d evaluations after one node's facts changed, want 1", n)
	}
}
