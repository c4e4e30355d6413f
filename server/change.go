package server

import (
	"fmt"
	"slices"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/store"
)

// change collects what one state transition must do once the lock is
// released: the writes, then — only after they are durable — the events,
// the commands to nodes, and dropping finished jobs from the index.
type change struct {
	m      store.Mutation
	events []api.Event
	retire []int64
	kills  map[string][]api.TaskRef
	starts map[string][]api.StartTask
	wake   bool
	// grants and revoke are node credentials to give to, or take from,
	// the NATS authenticator once the change is durable.
	grants []store.CredentialRecord
	revoke []string
	// after runs once the change is durable (infrastructure calls, node
	// commands), without s.mu.
	after []func()
	done  <-chan error // set by seal
}

func (c *change) task(t *taskState) {
	c.m.Tasks = append(c.m.Tasks, t.rec)
}

func (c *change) kill(node string, ref api.TaskRef) {
	if c.kills == nil {
		c.kills = make(map[string][]api.TaskRef)
	}
	c.kills[node] = append(c.kills[node], ref)
}

func (c *change) start(node string, st api.StartTask) {
	if c.starts == nil {
		c.starts = make(map[string][]api.StartTask)
	}
	c.starts[node] = append(c.starts[node], st)
}

// seal queues the change's writes and wakes the scheduler. It is called
// with s.mu held, so that writes reach the store in the order the index
// changed (the committer applies them in queue order); the scheduler may
// act on the new state at once, since its own writes queue behind these.
func (s *Server) seal(c *change) {
	s.noteRunning(c)
	c.done = s.commit.Enqueue(c.m)
	if c.wake {
		s.kick()
	}
}

// commitChange waits until a sealed change is durable, then carries out its
// effects. It is called without s.mu held. A failed write is fatal.
func (s *Server) commitChange(c *change) error {
	if c.done == nil {
		panic("server: commitChange on a change that was not sealed")
	}
	if err := <-c.done; err != nil {
		err = fmt.Errorf("store write failed: %w", err)
		s.fail(err)
		return err
	}
	s.publishEvents(c.events)
	if len(c.grants) > 0 || len(c.revoke) > 0 {
		s.applyCredentials(c.grants, c.revoke)
	}
	for _, f := range c.after {
		go f()
	}
	for node, refs := range c.kills {
		go s.sendKill(node, refs)
	}
	for node, batch := range c.starts {
		go s.sendStart(node, batch)
	}
	if len(c.retire) > 0 {
		s.mu.Lock()
		for _, id := range c.retire {
			s.retireJob(id)
		}
		s.mu.Unlock()
	}
	return nil
}

// retireJob drops a terminal job from the index; the store keeps it.
func (s *Server) retireJob(id int64) {
	j := s.jobs[id]
	if j == nil || !api.JobState(j.rec.State).Terminal() {
		return
	}
	for _, t := range j.tasks {
		s.ready.remove(t)
		delete(s.tasks, t.rec.ID)
	}
	for _, dep := range j.waitJobs { // it no longer waits (jobdeps.go)
		s.jobWaiters[dep] = slices.DeleteFunc(s.jobWaiters[dep], func(w int64) bool { return w == id })
		if len(s.jobWaiters[dep]) == 0 {
			delete(s.jobWaiters, dep)
		}
	}
	delete(s.jobs, id)
}
