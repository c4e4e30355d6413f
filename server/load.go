package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rm"
	"github.com/shrike-grid/shrike/store"
)

// load rebuilds the in-memory index from the store at start: nodes (given
// one heartbeat timeout to come back), every non-terminal job, the
// reservations of attempts that were running, and the ready queue.
func (s *Server) load(ctx context.Context) error {
	var err error
	if s.nextJob, s.nextTask, err = s.store.MaxIDs(ctx); err != nil {
		return err
	}
	now := s.now()
	nodes, err := s.store.ListNodes(ctx)
	if err != nil {
		return err
	}
	for _, nr := range nodes {
		var facts api.NodeFacts
		if err := json.Unmarshal(nr.Facts, &facts); err != nil {
			return fmt.Errorf("node %s: stored facts: %w", nr.Name, err)
		}
		n := s.reg.Restore(nr.Name, nr.Instance, facts, api.NodeState(nr.State), nr.RegisteredAt, now)
		n.Draining = nr.Draining
		n.Source, n.Handle = nr.Source, nr.Handle
		if !nr.StateSince.IsZero() {
			n.StateSince = nr.StateSince
		}
		if nr.LockedAt != nil {
			n.Lock = &api.NodeLock{By: nr.LockedBy, At: *nr.LockedAt, Reason: nr.LockReason}
		}
	}
	parents, err := s.store.JobParents(ctx)
	if err != nil {
		return err
	}
	s.tree.load(parents)
	jobs, tasks, err := s.store.LoadActive(ctx)
	if err != nil {
		return err
	}
	byJob := make(map[int64][]store.TaskRecord, len(jobs))
	for _, t := range tasks {
		byJob[t.JobID] = append(byJob[t.JobID], t)
	}
	var c change
	for _, jr := range jobs {
		j, trans, err := newJobState(jr, byJob[jr.ID])
		if err != nil {
			return err
		}
		s.jobs[jr.ID] = j
		for _, t := range j.tasks {
			s.tasks[t.rec.ID] = t
		}
		known, err := s.depStates(ctx, j)
		if err != nil {
			return err
		}
		failed, failedState, _ := s.gateJob(j, known, now)
		s.applyTransitions(j, trans, &c)
		if failed != 0 {
			s.depEnded(j, failed, failedState, &c)
		}
		for _, t := range j.tasks {
			if api.TaskState(t.rec.State) == api.TaskRunning {
				s.restoreAlloc(t, &c)
			}
		}
	}
	results, err := s.store.ActiveResults(ctx)
	if err != nil {
		return err
	}
	s.restoreResults(results)
	for _, t := range s.tasks {
		if api.TaskState(t.rec.State) == api.TaskRunning {
			s.running[t.rec.ID] = s.runningEntry(t)
		}
	}
	s.log.Info("state loaded", "jobs", len(jobs), "tasks", len(tasks), "nodes", len(nodes), "ready", s.ready.live)
	if c.m.Empty() {
		return nil
	}
	if err := s.store.Apply(ctx, c.m); err != nil {
		return err
	}
	for _, id := range c.retire {
		s.retireJob(id)
	}
	return nil
}

// depStates reads from the store the state of the jobs of j's
// depends_on_jobs that are not in the index (they are over; "" for one
// that no longer exists). Jobs are loaded in ID order, so those it waits
// for, being older, are indexed first.
func (s *Server) depStates(ctx context.Context, j *jobState) (map[int64]api.JobState, error) {
	known := make(map[int64]api.JobState)
	for _, id := range j.spec.DependsOnJobs {
		if s.jobs[id] != nil {
			continue
		}
		rec, _, err := s.store.GetJob(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		known[id] = api.JobState(rec.State)
	}
	return known, nil
}

// restoreAlloc puts a running attempt's reservation back on its node; an
// attempt whose node is unknown is handed back to the scheduler as lost.
func (s *Server) restoreAlloc(t *taskState, c *change) {
	names := t.slotNodes() // one entry per slot: its node, then the other nodes of a multi-node attempt
	nodes := make([]*rm.Node, 0, len(names))
	for i, name := range names {
		if slices.Contains(names[:i], name) {
			continue // a node with several of its slots holds one reservation for them
		}
		n := s.reg.Get(name)
		if n == nil || !n.Alive() {
			s.loseAttempt(t, c, "its node "+name+" is unknown after a server restart")
			return
		}
		nodes = append(nodes, n)
	}
	dispatched := s.now()
	if t.rec.DispatchedAt != nil {
		dispatched = *t.rec.DispatchedAt
	}
	for _, n := range nodes {
		n.Allocate(t.key(), allocOn(t, n.Name, dispatched))
	}
}

// allocFor is the reservation an attempt of t holds.
func allocFor(t *taskState, dispatched time.Time) rm.Alloc {
	return rm.Alloc{JobID: t.rec.JobID, Task: t.rec.Name, MilliCPU: t.spec.Resources.MilliCPU(), Memory: int64(t.spec.Resources.Memory), DispatchedAt: dispatched}
}
