package rm

import (
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func facts(cpus, slots int, mem int64) api.NodeFacts {
	return api.NodeFacts{CPUs: cpus, Slots: slots, MemoryTotal: mem}
}

func key(id int64) api.TaskKey { return api.TaskKey{TaskID: id, Attempt: 1} }

func TestAllocateAndRelease(t *testing.T) {
	r := NewRegistry()
	n := joined(r, "n1", "i1", facts(4, 2, 8<<30), t0)
	if n.State != api.NodeFree {
		t.Fatalf("new node state %s, want FREE", n.State)
	}
	n.Allocate(key(1), Alloc{MilliCPU: 1000, Memory: 1 << 30})
	n.Allocate(key(1), Alloc{MilliCPU: 1000, Memory: 1 << 30}) // repeat: one reservation
	cpu, mem, slots := n.Free()
	if cpu != 3000 || mem != 7<<30 || slots != 1 || n.State != api.NodeFree {
		t.Fatalf("after one alloc: cpu %d mem %d slots %d state %s", cpu, mem, slots, n.State)
	}
	n.Allocate(key(2), Alloc{MilliCPU: 1000})
	if n.State != api.NodeBusy || n.Fits(0, 0) {
		t.Fatalf("all slots taken: state %s, fits %v", n.State, n.Fits(0, 0))
	}
	if _, ok := n.Release(key(2)); !ok {
		t.Fatal("release of a held attempt reported none")
	}
	if _, ok := n.Release(key(2)); ok {
		t.Fatal("second release reported a reservation")
	}
	if n.State != api.NodeFree || !n.Fits(3000, 7<<30) || n.Fits(3001, 0) || n.Fits(0, 7<<30+1) {
		t.Fatalf("after release: state %s, fits wrong", n.State)
	}
}

func TestBusyWhenCPUExhausted(t *testing.T) {
	n := joined(NewRegistry(), "n1", "i1", facts(2, 8, 0), t0)
	n.Allocate(key(1), Alloc{MilliCPU: 2000})
	if n.State != api.NodeBusy {
		t.Fatalf("state %s with all CPU reserved, want BUSY", n.State)
	}
}

func TestLivenessAndMarkDown(t *testing.T) {
	r := NewRegistry()
	a := joined(r, "a", "i1", facts(2, 2, 0), t0)
	b := joined(r, "b", "i1", facts(2, 2, 0), t0)
	a.Allocate(key(7), Alloc{MilliCPU: 1000, JobID: 3, Task: "x"})
	r.Heartbeat(b, 1, 0.5, 4096, t0.Add(9*time.Second))
	if b.Facts.MemoryFree != 1 || b.Facts.Load1 != 0.5 || b.Facts.DiskFree != 4096 {
		t.Fatalf("heartbeat facts = %+v, want memory 1, load 0.5, disk 4096", b.Facts)
	}
	got := r.Expired(t0.Add(10*time.Second), 5*time.Second)
	if len(got) != 1 || got[0].Name != "a" {
		t.Fatalf("expired = %v, want [a]", got)
	}
	lost := r.MarkDown(a, t0.Add(10*time.Second))
	if len(lost) != 1 || lost[key(7)].Task != "x" {
		t.Fatalf("lost = %v, want task x", lost)
	}
	if a.State != api.NodeDown || a.Fits(0, 0) || len(a.Allocs()) != 0 {
		t.Fatalf("down node: state %s, allocs %v", a.State, a.Allocs())
	}
	if got := r.Expired(t0.Add(time.Hour), time.Second); len(got) != 1 || got[0].Name != "b" {
		t.Fatalf("a DOWN node expired again: %v", got)
	}
	joined(r, "a", "i2", facts(2, 2, 0), t0.Add(time.Minute))
	if a.State != api.NodeFree || a.Instance != "i2" {
		t.Fatalf("re-registered node: state %s instance %s", a.State, a.Instance)
	}
	if c := r.Counts(); c[api.NodeFree] != 2 {
		t.Fatalf("counts %v", c)
	}
}

func TestRestoreKeepsDownAndOrder(t *testing.T) {
	r := NewRegistry()
	r.Restore("z", "i", facts(1, 1, 0), api.NodeDown, t0, t0.Add(time.Hour))
	r.Restore("m", "i", facts(1, 1, 0), api.NodeBusy, t0, t0.Add(time.Hour))
	nodes := r.Nodes()
	if len(nodes) != 2 || nodes[0].Name != "m" || nodes[1].Name != "z" {
		t.Fatalf("nodes not ordered by name: %v", nodes)
	}
	if nodes[1].State != api.NodeDown || nodes[0].State != api.NodeFree || !nodes[0].RegisteredAt.Equal(t0) {
		t.Fatalf("restored states: %s %s", nodes[0].State, nodes[1].State)
	}
	v := nodes[0].View()
	if v.Name != "m" || v.Slots != 1 || v.RunningTasks == nil {
		t.Fatalf("view %+v", v)
	}
}

func TestLockDrainAndRemove(t *testing.T) {
	r := NewRegistry()
	n := joined(r, "n1", "i1", facts(2, 2, 0), t0)
	n.Lock = &api.NodeLock{By: "ann", At: t0, Reason: "disk swap"}
	if n.Schedulable() || n.Fits(0, 0) || n.Unavailable() != "locked by ann: disk swap" {
		t.Fatalf("locked node: schedulable %v, reason %q", n.Schedulable(), n.Unavailable())
	}
	if v := n.View(); v.Locked == nil || v.Locked.By != "ann" {
		t.Fatalf("view of a locked node: %+v", v.Locked)
	}
	n.Lock = nil
	n.Draining = true
	if n.Schedulable() || n.Unavailable() != "draining" {
		t.Fatalf("draining node: reason %q", n.Unavailable())
	}
	n.Allocate(key(1), Alloc{MilliCPU: 1000})
	if n.Empty() {
		t.Fatal("a node with an attempt is empty")
	}
	lost := r.Remove("n1")
	if len(lost) != 1 || r.Get("n1") != nil || r.Len() != 0 || len(r.Nodes()) != 0 {
		t.Fatalf("after Remove: lost %v, len %d", lost, r.Len())
	}
	if r.Remove("n1") != nil {
		t.Fatal("removing an unknown node returned attempts")
	}
}

// joined registers a node and confirms it (its first heartbeat), so it is
// FREE or BUSY.
func joined(r *Registry, name, instance string, f api.NodeFacts, at time.Time) *Node {
	n := r.Register(name, instance, f, at)
	n.Confirm(at)
	return n
}

func TestLifecycleStates(t *testing.T) {
	r := NewRegistry()
	n := r.Add("w1", "farm", t0)
	if n.State != api.NodeDeploying || n.Alive() || n.Schedulable() || n.Source != "farm" {
		t.Fatalf("added node: state %s alive %v schedulable %v source %q", n.State, n.Alive(), n.Schedulable(), n.Source)
	}
	if got := r.Expired(t0.Add(time.Hour), time.Second); len(got) != 0 {
		t.Fatalf("a DEPLOYING node expired: %v", got)
	}
	r.Register("w1", "i1", facts(2, 2, 0), t0.Add(time.Second))
	if n.State != api.NodeConfiguring || !n.Alive() || n.Schedulable() || !n.StateSince.Equal(t0.Add(time.Second)) {
		t.Fatalf("registered node: state %s since %v", n.State, n.StateSince)
	}
	r.Heartbeat(n, 0, 0, 0, t0.Add(2*time.Second))
	if n.State != api.NodeFree || !n.Schedulable() {
		t.Fatalf("after first heartbeat: state %s", n.State)
	}
	n.Withheld = "outside the time slot"
	if n.Schedulable() || n.Unavailable() != "outside the time slot" {
		t.Fatalf("withheld node schedulable: %q", n.Unavailable())
	}
	n.Withheld = ""
	n.Allocate(key(1), Alloc{MilliCPU: 1000})
	n.SetState(api.NodeToBeRemoved, t0.Add(3*time.Second))
	if !n.Alive() || n.Schedulable() {
		t.Fatal("TO_BE_REMOVED node must stay alive and take no work")
	}
	n.Release(key(1))
	if n.State != api.NodeToBeRemoved {
		t.Fatalf("release changed TO_BE_REMOVED to %s", n.State)
	}
	lost := r.MarkGone(n, api.NodeLost, t0.Add(4*time.Second))
	if len(lost) != 0 || n.State != api.NodeLost || n.Alive() || !n.Gone() {
		t.Fatalf("lost node: state %s alive %v", n.State, n.Alive())
	}
}

func TestFactsGenerations(t *testing.T) {
	r := NewRegistry()
	n := joined(r, "n", "i1", facts(2, 2, 8<<30), t0)
	fg, lg := n.FactsGen, n.LoadGen
	r.Heartbeat(n, 1<<30, 0.5, 100, t0.Add(time.Second))
	if n.FactsGen != fg || n.LoadGen == lg {
		t.Fatalf("a heartbeat with new load: facts gen %d→%d, load gen %d→%d", fg, n.FactsGen, lg, n.LoadGen)
	}
	lg = n.LoadGen
	r.Heartbeat(n, 1<<30, 0.5, 100, t0.Add(2*time.Second))
	if n.LoadGen != lg {
		t.Fatal("an unchanged heartbeat bumped the load generation")
	}
	same := n.Facts
	r.Register("n", "i2", same, t0.Add(3*time.Second))
	if n.FactsGen != fg {
		t.Fatal("re-registering with the same facts bumped the facts generation")
	}
	changed := facts(2, 2, 8<<30)
	changed.Tags = []string{"gpu"}
	r.Register("n", "i3", changed, t0.Add(4*time.Second))
	if n.FactsGen == fg {
		t.Fatal("new facts kept the facts generation")
	}
}
