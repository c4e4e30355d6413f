package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// recordingStore wraps a Store and records every Apply call. If gate is
// set, each Apply first reports on started and then waits for a value on
// gate (or its context). If failOn is set, a batch containing a node of that
// name fails with errBoom.
type recordingStore struct {
	Store
	gate    chan struct{}
	started chan int // number of mutations of the batch that started
	failOn  string

	mu      sync.Mutex
	batches [][]Mutation
}

var errBoom = errors.New("boom")

func (r *recordingStore) Apply(ctx context.Context, muts ...Mutation) error {
	r.mu.Lock()
	r.batches = append(r.batches, muts)
	r.mu.Unlock()
	if r.gate != nil {
		r.started <- len(muts)
		select {
		case <-r.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for _, m := range muts {
		for _, n := range m.Nodes {
			if r.failOn != "" && n.Name == r.failOn {
				return errBoom
			}
		}
	}
	if r.Store == nil {
		return nil
	}
	return r.Store.Apply(ctx, muts...)
}

// sizes returns the number of mutations of each recorded batch.
func (r *recordingStore) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]int, len(r.batches))
	for i, b := range r.batches {
		out[i] = len(b)
	}
	return out
}

// gated returns a recordingStore over s whose Apply calls wait for release.
func gated(s Store) *recordingStore {
	return &recordingStore{Store: s, gate: make(chan struct{}), started: make(chan int, 100)}
}

// runCommitter starts c.Run and returns a stop function that cancels it and
// returns Run's error.
func runCommitter(t *testing.T, c *Committer) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// nodeMut is a mutation writing one node.
func nodeMut(name string) Mutation {
	return Mutation{Nodes: []NodeRecord{{Name: name, State: "FREE"}}}
}

// wait reads one result or fails after a generous timeout.
func wait(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("no answer from the committer")
		return nil
	}
}

// TestCommitterConcurrent: many goroutines commit at once to a real SQLite
// store; all rows are there afterwards, in fewer transactions than commits.
func TestCommitterConcurrent(t *testing.T) {
	s := openTestSQLite(t, SQLiteOptions{})
	rec := &recordingStore{Store: s}
	c := NewCommitter(rec, nil)
	runCommitter(t, c)
	ctx := context.Background()
	if err := c.Commit(ctx, Mutation{Jobs: []JobRecord{{ID: 1, Name: "j", Owner: "o", State: "RUNNING"}}}); err != nil {
		t.Fatalf("Commit(job): %v", err)
	}
	const workers, each = 32, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := w*each + i
				errs <- c.Commit(ctx, Mutation{Tasks: []TaskRecord{{ID: int64(100 + n), JobID: 1, Index: n, State: "PENDING"}}})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
	_, tasks, err := s.GetJob(ctx, 1)
	if err != nil || len(tasks) != workers*each {
		t.Fatalf("GetJob = %d tasks, %v; want %d", len(tasks), err, workers*each)
	}
	for i, tk := range tasks {
		if tk.Index != i || tk.ID != int64(100+i) {
			t.Fatalf("task %d = id %d index %d; want id %d", i, tk.ID, tk.Index, 100+i)
		}
	}
	applies := len(rec.sizes())
	t.Logf("%d commits in %d transactions", workers*each+1, applies)
	if applies >= workers*each {
		t.Errorf("%d commits took %d transactions; want batching", workers*each+1, applies)
	}
}

// TestCommitterBatches: what queues during a transaction goes into the next
// one, whole and in enqueue order.
func TestCommitterBatches(t *testing.T) {
	rec := gated(nil)
	c := NewCommitter(rec, nil)
	runCommitter(t, c)
	first := c.Enqueue(nodeMut("first"))
	<-rec.started // the first transaction is running
	var chans []<-chan error
	for i := range 100 {
		chans = append(chans, c.Enqueue(nodeMut(fmt.Sprint(i))))
	}
	close(rec.gate) // let every Apply through
	if err := wait(t, first); err != nil {
		t.Fatalf("first: %v", err)
	}
	for i, ch := range chans {
		if err := wait(t, ch); err != nil {
			t.Fatalf("mutation %d: %v", i, err)
		}
	}
	if got := rec.sizes(); len(got) != 2 || got[0] != 1 || got[1] != 100 {
		t.Fatalf("batch sizes = %v; want [1 100]", got)
	}
	for i, m := range rec.batches[1] {
		if m.Nodes[0].Name != fmt.Sprint(i) {
			t.Fatalf("batch 2, mutation %d is %q; want %q (enqueue order)", i, m.Nodes[0].Name, fmt.Sprint(i))
		}
	}
}

// TestCommitterMaxBatch: a transaction takes at most maxBatch mutations.
func TestCommitterMaxBatch(t *testing.T) {
	rec := &recordingStore{}
	c := NewCommitter(rec, nil)
	c.maxBatch = 10
	var chans []<-chan error
	for i := range 25 { // queued before Run starts
		chans = append(chans, c.Enqueue(nodeMut(fmt.Sprint(i))))
	}
	runCommitter(t, c)
	for _, ch := range chans {
		if err := wait(t, ch); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	if got := fmt.Sprint(rec.sizes()); got != "[10 10 5]" {
		t.Errorf("batch sizes = %s; want [10 10 5]", got)
	}
}

// TestCommitterErrorStaysInItsBatch: a failed transaction answers every
// waiter of its batch with its error, and none of the next batch.
func TestCommitterErrorStaysInItsBatch(t *testing.T) {
	rec := gated(nil)
	rec.failOn = "bad"
	c := NewCommitter(rec, nil)
	runCommitter(t, c)

	first := c.Enqueue(nodeMut("first"))
	<-rec.started
	bad := c.Enqueue(nodeMut("bad"))
	sameBatch := c.Enqueue(nodeMut("innocent"))
	rec.gate <- struct{}{} // release the first transaction
	if err := wait(t, first); err != nil {
		t.Errorf("first batch: %v; want nil", err)
	}
	<-rec.started
	rec.gate <- struct{}{} // release the failing one
	for name, ch := range map[string]<-chan error{"bad": bad, "innocent": sameBatch} {
		if err := wait(t, ch); !errors.Is(err, errBoom) {
			t.Errorf("%s: %v; want errBoom", name, err)
		}
	}
	next := c.Enqueue(nodeMut("next"))
	<-rec.started
	rec.gate <- struct{}{}
	if err := wait(t, next); err != nil {
		t.Errorf("next batch: %v; want nil", err)
	}
	if got := fmt.Sprint(rec.sizes()); got != "[1 2 1]" {
		t.Errorf("batch sizes = %s; want [1 2 1]", got)
	}
}

// TestCommitterOrder: two upserts of one task from one goroutine, without
// waiting in between, land in enqueue order: the last wins, both when they
// share a transaction and when they do not.
func TestCommitterOrder(t *testing.T) {
	s := openTestSQLite(t, SQLiteOptions{})
	rec := gated(s)
	c := NewCommitter(rec, nil)
	runCommitter(t, c)
	job := c.Enqueue(Mutation{Jobs: []JobRecord{{ID: 1, Name: "j", Owner: "o", State: "RUNNING"}}})
	<-rec.started
	// Queued behind the job: these two share the second transaction.
	v1 := c.Enqueue(Mutation{Tasks: []TaskRecord{{ID: 10, JobID: 1, State: "RUNNING", Attempt: 1}}})
	v2 := c.Enqueue(Mutation{Tasks: []TaskRecord{{ID: 10, JobID: 1, State: "FINISHED", Attempt: 1, ExitCode: new(int)}}})
	close(rec.gate)
	for _, ch := range []<-chan error{job, v1, v2} {
		if err := wait(t, ch); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	if got := fmt.Sprint(rec.sizes()); got != "[1 2]" {
		t.Errorf("batch sizes = %s; want [1 2]", got)
	}
	ctx := context.Background()
	if _, tasks, err := s.GetJob(ctx, 1); err != nil || len(tasks) != 1 || tasks[0].State != "FINISHED" {
		t.Errorf("GetJob = %+v, %v; want the task FINISHED", tasks, err)
	}

	// Separate transactions: the same holds.
	w1 := c.Enqueue(Mutation{Tasks: []TaskRecord{{ID: 10, JobID: 1, State: "RUNNING", Attempt: 2}}})
	w2 := c.Enqueue(Mutation{Tasks: []TaskRecord{{ID: 10, JobID: 1, State: "FAILED", Attempt: 2}}})
	for _, ch := range []<-chan error{w1, w2} {
		if err := wait(t, ch); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}
	if _, tasks, err := s.GetJob(ctx, 1); err != nil || len(tasks) != 1 || tasks[0].State != "FAILED" || tasks[0].Attempt != 2 {
		t.Errorf("GetJob = %+v, %v; want attempt 2 FAILED", tasks, err)
	}
}

// TestCommitterEmpty: an empty mutation is answered at once, even with no
// Run loop, and never reaches the store.
func TestCommitterEmpty(t *testing.T) {
	rec := &recordingStore{}
	c := NewCommitter(rec, nil)
	if err := c.Commit(context.Background(), Mutation{}); err != nil {
		t.Errorf("Commit(empty) = %v", err)
	}
	if err := wait(t, c.Enqueue(Mutation{Tasks: []TaskRecord{}})); err != nil {
		t.Errorf("Enqueue(empty) = %v", err)
	}
	if n := len(rec.sizes()); n != 0 {
		t.Errorf("%d Apply calls; want 0", n)
	}
}

// TestCommitterStop: when Run's context ends, the batch in flight gets
// Apply's answer, queued mutations get ctx.Err() without being applied, and
// later ones ErrCommitterStopped.
func TestCommitterStop(t *testing.T) {
	rec := gated(nil)
	c := NewCommitter(rec, nil)
	stop := runCommitter(t, c)
	inFlight := c.Enqueue(nodeMut("in-flight"))
	<-rec.started
	queued := c.Enqueue(nodeMut("queued"))
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v; want context.Canceled", err)
	}
	if err := wait(t, inFlight); !errors.Is(err, context.Canceled) {
		t.Errorf("in flight: %v; want the cancelled Apply's error", err)
	}
	if err := wait(t, queued); !errors.Is(err, context.Canceled) {
		t.Errorf("queued: %v; want context.Canceled", err)
	}
	if err := c.Commit(context.Background(), nodeMut("late")); !errors.Is(err, ErrCommitterStopped) {
		t.Errorf("Commit after stop: %v; want ErrCommitterStopped", err)
	}
	if got := fmt.Sprint(rec.sizes()); got != "[1]" {
		t.Errorf("batch sizes = %s; want [1] (queued mutation not applied)", got)
	}
}

// TestCommitContextDone: Commit returns when its own context ends.
func TestCommitContextDone(t *testing.T) {
	c := NewCommitter(&recordingStore{}, nil) // no Run: nothing is answered
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := c.Commit(ctx, nodeMut("n")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Commit = %v; want context.DeadlineExceeded", err)
	}
}
