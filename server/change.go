package server

import (
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

// commit makes the change durable, then carries out its effects. It must
// be called without s.mu held. It returns the write error, if any.
func (s *Server) commitChange(c *change) error {
	if err := s.persist(c.m); err != nil {
		return err
	}
	s.publishEvents(c.events)
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
	if c.wake {
		s.kick()
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
	delete(s.jobs, id)
}
