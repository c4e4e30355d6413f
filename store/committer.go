package store

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// defaultMaxBatch is how many mutations a Committer puts in one transaction at
// most, so one transaction stays short even under a flood.
const defaultMaxBatch = 5000

// ErrCommitterStopped is returned for mutations enqueued after a
// Committer's Run has returned; they are not applied.
var ErrCommitterStopped = errors.New("store: committer stopped")

// Committer is the single writer in front of a Store, with group commit.
//
// Callers hand it mutations (Commit, Enqueue) from any goroutine. Run applies
// them in enqueue order: while one transaction runs, new mutations queue up,
// and the next transaction takes everything queued (up to 5,000
// mutations) in one Apply call, then answers all their waiters with its
// result. So a burst of N concurrent commits costs a few transactions, not
// N, and no caller is answered before its mutation is durable.
//
// One failed Apply fails every mutation of that batch (they shared the
// transaction) and none of the next.
type Committer struct {
	store    Store
	log      *slog.Logger
	maxBatch int

	mu      sync.Mutex
	queue   []*pending
	stopErr error         // set when Run returns; guarded by mu
	wake    chan struct{} // capacity 1: "the queue is not empty"
}

// pending is one queued mutation and where its result goes.
type pending struct {
	m    Mutation
	done chan error // capacity 1
}

// NewCommitter returns a Committer writing to s. Nothing is applied until
// Run is called. A nil logger discards.
func NewCommitter(s Store, logger *slog.Logger) *Committer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Committer{store: s, log: logger, maxBatch: defaultMaxBatch, wake: make(chan struct{}, 1)}
}

// Enqueue queues m and returns a channel (capacity 1, so nobody has to read
// it) that receives nil once m is durable, or the error of the transaction
// that carried it. An empty mutation is answered nil at once. The committer
// keeps m's slices until it answers: do not modify them before.
func (c *Committer) Enqueue(m Mutation) <-chan error {
	p := &pending{m: m, done: make(chan error, 1)}
	if m.Empty() {
		p.done <- nil
		return p.done
	}
	c.mu.Lock()
	if c.stopErr != nil {
		c.mu.Unlock()
		p.done <- c.stopErr
		return p.done
	}
	c.queue = append(c.queue, p)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	return p.done
}

// Commit queues m and waits until it is durable, its batch failed, or ctx
// is done. In the last case it returns ctx.Err() and the mutation may still
// be committed: it is already queued and is not withdrawn.
func (c *Committer) Commit(ctx context.Context, m Mutation) error {
	done := c.Enqueue(m)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run applies queued mutations until ctx is done, then returns ctx.Err().
//
// On the way out it does not drain: the batch in flight finishes with
// whatever Apply returns (Apply gets ctx, so it is usually rolled back and
// answered with ctx's error), every mutation still queued is answered with
// ctx.Err() and is not applied, and later Enqueue and Commit calls are
// answered with ErrCommitterStopped. A caller that wants everything queued
// written before shutdown waits for its Commit calls before cancelling ctx.
// Run must not be called twice.
func (c *Committer) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			c.stop(ctx.Err())
			return ctx.Err()
		case <-c.wake:
		}
		for ctx.Err() == nil {
			batch := c.take()
			if len(batch) == 0 {
				break
			}
			c.apply(ctx, batch)
		}
	}
}

// take removes up to maxBatch mutations from the head of the queue.
func (c *Committer) take() []*pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(c.queue), c.maxBatch)
	batch := c.queue[:n:n]
	if n == len(c.queue) {
		c.queue = nil // let the backing array go
	} else {
		c.queue = c.queue[n:]
	}
	return batch
}

// apply writes one batch in one transaction and answers its waiters.
func (c *Committer) apply(ctx context.Context, batch []*pending) {
	muts := make([]Mutation, len(batch))
	for i, p := range batch {
		muts[i] = p.m
	}
	start := time.Now()
	err := c.store.Apply(ctx, muts...)
	if err != nil {
		c.log.Error("store: group commit failed", "mutations", len(batch), "err", err)
	} else {
		c.log.Debug("store: group commit", "mutations", len(batch), "duration", time.Since(start))
	}
	for _, p := range batch {
		p.done <- err
	}
}

// stop answers everything queued with err and refuses later mutations.
func (c *Committer) stop(err error) {
	c.mu.Lock()
	queue := c.queue
	c.queue = nil
	c.stopErr = ErrCommitterStopped
	c.mu.Unlock()
	for _, p := range queue {
		p.done <- err
	}
}
