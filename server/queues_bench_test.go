package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
	"github.com/shrike-grid/shrike/store"
)

// benchBacklogServer is a server with nodes registered nodes of 32 cores
// and 32 slots (the registry only, no agents), four queues, and a backlog
// of queued tasks: jobs of 100 tasks from 100 users, spread over the
// queues and three priorities, queued as the server queues them.
func benchBacklogServer(b *testing.B, nodes, queued int) *Server {
	b.Helper()
	cfg := TestConfig(b.TempDir())
	cfg.Queues = []QueueConfig{{Name: "default"}, {Name: "short", Weight: 2, Policy: PolicyBackfill},
		{Name: "long", MaxRunningPerUser: 2000}, {Name: "urgent", Weight: 4, Preemption: true}}
	srv, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.closeAll)
	now := srv.now()
	for i := range nodes {
		f := api.NodeFacts{Hostname: fmt.Sprintf("h%d", i), OS: "linux", Arch: "amd64", CPUs: 32, Slots: 32, MemoryTotal: 128 << 30}
		nd := srv.reg.Register(fmt.Sprintf("n%05d", i), "i", f, now)
		nd.Confirm(now)
		nd.Source = DefaultSource
	}
	queues := []string{"default", "short", "long", "urgent"}
	priorities := []api.Priority{api.PriorityNormal, api.PriorityNormal, api.PriorityLow, api.PriorityHigh}
	const perJob = 100
	var id int64
	for jn := range queued / perJob {
		jid := int64(jn + 1)
		q := jn % len(queues)
		spec := api.JobSpec{Name: "j", Queue: queues[q], Priority: priorities[q], Tasks: []api.TaskSpec{{Name: "t",
			Command: []string{"true"}, Resources: api.Resources{CPU: float64(1 + jn%3)}, MaxAttempts: 1, Walltime: api.Duration(time.Hour)}}}
		owner := fmt.Sprintf("u%d", jn%100)
		j := &jobState{rec: store.JobRecord{ID: jid, Owner: owner, State: string(api.JobPending)}, spec: spec}
		ts := &j.spec.Tasks[0]
		j.tasks = make([]*taskState, perJob)
		for i := range perJob {
			id++
			t := &taskState{job: j, spec: ts}
			t.rec.ID, t.rec.JobID, t.rec.Index, t.rec.State = id, jid, i, string(api.TaskPending)
			t.qt = scheduler.QueuedTask{TaskID: id, JobID: jid, Index: i, Name: "t", Priority: spec.Priority,
				MilliCPU: ts.Resources.MilliCPU(), User: owner, Queue: spec.Queue, Walltime: time.Hour}
			j.tasks[i] = t
			srv.tasks[id] = t
			srv.ready.push(t)
		}
		srv.jobs[jid] = j
	}
	srv.fair.Charge("short", "u1", 3600, now)
	return srv
}

// BenchmarkServerCycleBacklog1M is the server's side of a scheduling
// decision with 1,000,000 queued tasks on 1,000 idle nodes: the snapshot
// (the shared window read from the ready queue's groups, the nodes, the
// queues with their fair-share usage, the running attempts) and Schedule
// on it. The plan is not applied, so every iteration meets the same
// state. snapshot-ms reports the snapshot alone.
func BenchmarkServerCycleBacklog1M(b *testing.B) {
	srv := benchBacklogServer(b, 1000, 1_000_000)
	var snapTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		srv.mu.Lock()
		snap, _ := srv.snapshot()
		srv.mu.Unlock()
		snapTime += time.Since(start)
		if plan := scheduler.Schedule(snap); len(plan.Placements) == 0 {
			b.Fatal("nothing placed")
		}
	}
	b.ReportMetric(snapTime.Seconds()*1000/float64(b.N), "snapshot-ms/op")
}
