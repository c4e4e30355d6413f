package resttest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// SetQueues sets what Queues answers (by default one empty FIFO queue
// named api.DefaultQueue).
func (f *FakeBackend) SetQueues(qs []api.Queue) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queues = slices.Clone(qs)
}

// Queues implements rest.Backend: the queues SetQueues set, with each
// queue's users cut to the caller's own line unless the caller is an
// admin, as the server does.
func (f *FakeBackend) Queues(_ context.Context, p rest.Principal) ([]api.Queue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail; err != nil {
		return nil, err
	}
	qs := f.queues
	if qs == nil {
		qs = []api.Queue{{Name: api.DefaultQueue, Weight: 1, Policy: "fifo"}}
	}
	out := make([]api.Queue, len(qs))
	for i, q := range qs {
		if !p.IsAdmin() {
			q.Users = slices.DeleteFunc(slices.Clone(q.Users), func(u api.QueueUser) bool { return u.Name != p.Name })
		}
		out[i] = q
	}
	return out, nil
}

// Queue implements rest.Backend.
func (f *FakeBackend) Queue(ctx context.Context, p rest.Principal, name string) (api.Queue, error) {
	qs, err := f.Queues(ctx, p)
	if err != nil {
		return api.Queue{}, err
	}
	for _, q := range qs {
		if q.Name == name {
			return q, nil
		}
	}
	return api.Queue{}, api.Errorf(api.CodeNotFound, "queue %q not found", name)
}

// queueErrorLocked refuses a queue Queues does not list, on the field
// "queue", as the server does; "" is api.DefaultQueue.
func (f *FakeBackend) queueErrorLocked(name string) *api.FieldError {
	if name == "" || name == api.DefaultQueue && f.queues == nil {
		return nil
	}
	var names []string
	for _, q := range f.queues {
		if q.Name == name {
			return nil
		}
		names = append(names, q.Name)
	}
	if f.queues == nil {
		names = []string{api.DefaultQueue}
	}
	return &api.FieldError{Field: "queue", Message: fmt.Sprintf("unknown queue %q (queues: %s)", name, strings.Join(names, ", "))}
}
