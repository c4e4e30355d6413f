package store

import (
	"context"
	"sync"
	"testing"
	"time"
)

// benchStore opens a SQLite store holding job 1, for tasks to hang on.
func benchStore(b *testing.B, syncMode string) *SQLite {
	b.Helper()
	s := openTestSQLite(b, SQLiteOptions{Synchronous: syncMode})
	j := JobRecord{ID: 1, Name: "bench", Owner: "o", State: "RUNNING", Spec: []byte(`{}`), SubmittedAt: time.Now()}
	if err := s.Apply(context.Background(), Mutation{Jobs: []JobRecord{j}}); err != nil {
		b.Fatalf("Apply(job): %v", err)
	}
	return s
}

// benchTask is a realistic running task row; id doubles as its index.
func benchTask(id int64, now time.Time) TaskRecord {
	return TaskRecord{
		ID: id, JobID: 1, Index: int(id), Name: "task", State: "RUNNING", Attempt: 1,
		Node: "node-17", DispatchedAt: &now, StartedAt: &now,
	}
}

// BenchmarkApply measures Apply on a SQLite file: one Apply of 10,000 task
// upserts (inserts in the first iteration, updates after), and 1,000
// Applies of one task each (one fsync'ed transaction per task), with both
// synchronous settings.
func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	b.Run("10k-tasks-1-apply", func(b *testing.B) {
		s := benchStore(b, "")
		now := time.Now()
		tasks := make([]TaskRecord, 10_000)
		for i := range tasks {
			tasks[i] = benchTask(int64(i+1), now)
		}
		for b.Loop() {
			if err := s.Apply(ctx, Mutation{Tasks: tasks}); err != nil {
				b.Fatalf("Apply: %v", err)
			}
		}
		b.ReportMetric(float64(len(tasks)*b.N)/b.Elapsed().Seconds(), "tasks/s")
	})
	for _, syncMode := range []string{"FULL", "NORMAL"} {
		b.Run("1k-applies-1-task/sync="+syncMode, func(b *testing.B) {
			s := benchStore(b, syncMode)
			now := time.Now()
			for b.Loop() {
				for i := range 1000 {
					if err := s.Apply(ctx, Mutation{Tasks: []TaskRecord{benchTask(int64(i+1), now)}}); err != nil {
						b.Fatalf("Apply: %v", err)
					}
				}
			}
			b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}

// BenchmarkCommitter measures group commit: 1,000 goroutines each Commit
// one task at once, with synchronous=FULL. Compare with
// BenchmarkApply/1k-applies-1-task.
func BenchmarkCommitter(b *testing.B) {
	s := benchStore(b, "")
	rec := &recordingStore{Store: s}
	c := NewCommitter(rec, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = c.Run(ctx) }()
	now := time.Now()
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range 1000 {
			wg.Go(func() {
				if err := c.Commit(ctx, Mutation{Tasks: []TaskRecord{benchTask(int64(i+1), now)}}); err != nil {
					b.Errorf("Commit: %v", err)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "tasks/s")
	b.ReportMetric(float64(len(rec.sizes()))/float64(b.N), "tx/op")
}
