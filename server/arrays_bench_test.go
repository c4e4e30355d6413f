package server

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// BenchmarkSubmitArray submits one job of 100,000 instances to a real
// server (SQLite file, synchronous=FULL, no nodes) and reports the time to
// the acknowledgment (target ≤ 1 s) and the server's heap per queued
// instance after a GC (target ≤ 1 KiB), the ready queue, the task map and
// the DAG included:
//
//	go test -run '^$' -bench BenchmarkSubmitArray -benchtime 3x ./server
func BenchmarkSubmitArray(b *testing.B) {
	const instances = 100_000
	admin := rest.Principal{Name: "root", Role: api.RoleAdmin}
	spec := api.JobSpec{Name: "array", Priority: api.PriorityNormal, Tasks: []api.TaskSpec{{
		Name: "sq", Script: `echo $((SHRIKE_REPLICA * SHRIKE_REPLICA))`, Resources: api.Resources{CPU: 1}, MaxAttempts: 1,
		Replicate: &api.Replicate{Count: instances, From: 1, Step: 1},
	}, {
		Name: "sum", Script: "true", DependsOn: []string{"sq"}, Resources: api.Resources{CPU: 1}, MaxAttempts: 1,
	}}}
	var ack time.Duration
	var heap float64
	for b.Loop() {
		b.StopTimer()
		cfg := TestConfig(filepath.Join(b.TempDir(), "server"))
		cfg.Synchronous = "FULL"
		srv, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Run(ctx) }()
		before := heapAfterGC()
		b.StartTimer()
		start := time.Now()
		resp, err := srv.SubmitJob(ctx, admin, spec)
		took := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		ack += took
		heap += float64(heapAfterGC() - before)
		srv.mu.Lock()
		queued := srv.ready.live
		n := len(srv.jobs[resp.ID].tasks)
		srv.mu.Unlock()
		if queued != instances || n != instances+1 {
			b.Fatalf("%d tasks, %d queued; want %d and %d", n, queued, instances+1, instances)
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(ack.Seconds()/float64(b.N), "s/ack")
	b.ReportMetric(heap/float64(b.N)/instances, "heapB/instance")
	b.ReportMetric(float64(unsafe.Sizeof(taskState{})), "B/taskState")
}

// heapAfterGC returns the live heap after a full collection.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
