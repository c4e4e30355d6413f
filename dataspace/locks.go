package dataspace

import (
	"context"
	"sync"
)

// keyLocks is a set of mutexes by key that waiters can give up on.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]chan struct{} // closed when the holder unlocks
}

// lock waits until key is free or ctx ends; the returned func unlocks.
func (l *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	for {
		l.mu.Lock()
		ch, held := l.m[key]
		if !held {
			ch = make(chan struct{})
			l.m[key] = ch
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				delete(l.m, key)
				l.mu.Unlock()
				close(ch)
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
