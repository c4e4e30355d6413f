package server

import (
	"context"
	"fmt"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/rm"
	"github.com/shrike-grid/shrike/rm/infra"
	"github.com/shrike-grid/shrike/store"
)

func nodeNotFound(name string) error { return api.Errorf(api.CodeNotFound, "node %s not found", name) }

// mayAdminNode refuses p unless it administers n's source (admins
// administer every source). Called with s.mu held.
func (s *Server) mayAdminNode(p rest.Principal, n *rm.Node, verb string) error {
	if p.IsAdmin() {
		return nil
	}
	if src := s.sources[n.Source]; src != nil && src.mayAdmin(p) {
		return nil
	}
	return api.Errorf(api.CodeForbidden, "you may not %s node %s: you do not administer its node source %s", verb, n.Name, n.Source)
}

func requireAdmin(p rest.Principal, what string) error {
	if !p.IsAdmin() {
		return api.Errorf(api.CodeForbidden, "only admins can %s", what)
	}
	return nil
}

// GetNode implements rest.Backend.
func (s *Server) GetNode(ctx context.Context, _ rest.Principal, name string) (api.NodeDetail, error) {
	s.mu.Lock()
	n := s.reg.Get(name)
	if n == nil {
		s.mu.Unlock()
		return api.NodeDetail{}, nodeNotFound(name)
	}
	d := api.NodeDetail{Node: n.View(), Facts: n.Facts}
	s.mu.Unlock()
	events, err := s.store.ListNodeEvents(ctx, store.NodeEventQuery{Node: name, Limit: 50, Newest: true})
	if err != nil {
		return d, err
	}
	d.History = make([]api.NodeEvent, len(events))
	for i, e := range events {
		d.History[i] = nodeEventView(e)
	}
	return d, nil
}

// changeNode applies edit to a node under the lock, records the change and
// waits until it is durable. edit returns the event to record ("" for
// none: nothing changed) and an error to refuse the change.
func (s *Server) changeNode(p rest.Principal, name, verb string, edit func(n *rm.Node, c *change) (event, info string, err error)) (api.Node, error) {
	var c change
	s.mu.Lock()
	n := s.reg.Get(name)
	if n == nil {
		s.mu.Unlock()
		return api.Node{}, nodeNotFound(name)
	}
	if err := s.mayAdminNode(p, n, verb); err != nil {
		s.mu.Unlock()
		return api.Node{}, err
	}
	event, info, err := edit(n, &c)
	if err != nil {
		s.mu.Unlock()
		return api.Node{}, err
	}
	if event != "" {
		c.m.Nodes = append(c.m.Nodes, nodeRecord(n))
		c.nodeEvent(n, event, p.Name, info)
		c.wake = true
	}
	view := n.View()
	s.seal(&c)
	s.mu.Unlock()
	return view, s.commitChange(&c)
}

// LockNode implements rest.Backend (admins only). Locking a locked node
// replaces the lock's owner and reason.
func (s *Server) LockNode(_ context.Context, p rest.Principal, name, reason string) (api.Node, error) {
	if len(reason) > 500 {
		return api.Node{}, api.Invalid([]api.FieldError{{Field: "reason", Message: "at most 500 characters"}})
	}
	return s.changeNode(p, name, "lock", func(n *rm.Node, _ *change) (string, string, error) {
		n.Lock = &api.NodeLock{By: p.Name, At: s.now(), Reason: reason}
		return "locked", reason, nil
	})
}

// UnlockNode implements rest.Backend (admins only).
func (s *Server) UnlockNode(_ context.Context, p rest.Principal, name string) (api.Node, error) {
	return s.changeNode(p, name, "unlock", func(n *rm.Node, _ *change) (string, string, error) {
		if n.Lock == nil {
			return "", "", nil
		}
		n.Lock = nil
		return "unlocked", "", nil
	})
}

// DrainNode implements rest.Backend (admins only).
func (s *Server) DrainNode(_ context.Context, p rest.Principal, name string, on bool) (api.Node, error) {
	return s.changeNode(p, name, "drain", func(n *rm.Node, _ *change) (string, string, error) {
		if n.Draining == on {
			return "", "", nil
		}
		n.Draining = on
		if on {
			return "draining", fmt.Sprintf("%d running attempt(s) left", len(n.Allocs())), nil
		}
		return "undrained", "", nil
	})
}

// RemoveNode implements rest.Backend (admins only). The removed agent
// instance may not register again; a restarted agent (a new instance) may.
func (s *Server) RemoveNode(_ context.Context, p rest.Principal, name string, force bool) error {
	var c change
	s.mu.Lock()
	n := s.reg.Get(name)
	if n == nil {
		// A node no longer listed (removed after its retention) may still
		// hold credentials: removing it revokes them.
		cred, ok := s.creds[name]
		if !ok {
			s.mu.Unlock()
			return nodeNotFound(name)
		}
		if src := s.sources[cred.Source]; !p.IsAdmin() && (src == nil || !src.mayAdmin(p)) {
			s.mu.Unlock()
			return api.Errorf(api.CodeForbidden, "you may not remove node %s: you do not administer its node source %s", name, cred.Source)
		}
		s.revokeCredentials(name, &c)
		s.seal(&c)
		s.mu.Unlock()
		return s.commitChange(&c)
	}
	if err := s.mayAdminNode(p, n, "remove"); err != nil {
		s.mu.Unlock()
		return err
	}
	if running := len(n.Allocs()); running > 0 && !force {
		s.mu.Unlock()
		return api.Errorf(api.CodeConflict, "node %s runs %d attempt(s): drain it and remove it once it is empty, or force the removal to hand them back to the scheduler", name, running)
	}
	if src := s.sources[n.Source]; src != nil && src.infra != nil && n.Handle != "" {
		inf, d := src.infra, infra.Deployed{Name: n.Name, Handle: n.Handle}
		c.after = append(c.after, func() { s.releaseInfra(inf, d) })
	}
	s.revokeCredentials(name, &c)
	s.forgetNode(n, p.Name, "removed by "+p.Name, &c)
	s.seal(&c)
	s.mu.Unlock()
	return s.commitChange(&c)
}

// RMStats implements rest.Backend.
func (s *Server) RMStats(_ context.Context, _ rest.Principal) (api.RMStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := api.RMStats{ByState: map[api.NodeState]int{}, BySource: map[string]int{}}
	for _, state := range api.NodeStates {
		st.ByState[state] = 0
	}
	for name := range s.sources {
		st.BySource[name] = 0
	}
	for _, n := range s.reg.Nodes() {
		st.Nodes++
		st.ByState[n.State]++
		st.BySource[n.Source]++
		if n.Lock != nil {
			st.Locked++
		}
		if n.Draining {
			st.Draining++
		}
		if !n.Alive() {
			continue
		}
		v := n.View()
		st.Slots += v.Slots
		st.UsedSlots += len(v.RunningTasks)
		st.CPUs += v.CPUs
		st.UsedCPU += v.UsedCPU
		st.Memory += v.Memory
		st.UsedMem += v.UsedMemory
	}
	return st, nil
}

// RMEvents implements rest.Backend.
func (s *Server) RMEvents(ctx context.Context, _ rest.Principal, after int64, limit int) (api.RMEventList, error) {
	events, err := s.store.ListNodeEvents(ctx, store.NodeEventQuery{After: after, Limit: limit})
	if err != nil {
		return api.RMEventList{}, err
	}
	out := api.RMEventList{Events: make([]api.NodeEvent, len(events)), Next: after}
	for i, e := range events {
		out.Events[i] = nodeEventView(e)
		out.Next = e.Seq
	}
	return out, nil
}

// historyRanges maps a range to its length and the step of its samples.
var historyRanges = map[string][2]time.Duration{
	"1h": {time.Hour, time.Minute},
	"1d": {24 * time.Hour, 15 * time.Minute},
	"1w": {7 * 24 * time.Hour, 2 * time.Hour},
}

// RMHistory implements rest.Backend: the recorded samples averaged per step,
// and the counts of now as the last point.
func (s *Server) RMHistory(ctx context.Context, _ rest.Principal, rng string) (api.RMHistory, error) {
	spec, ok := historyRanges[rng]
	if !ok {
		return api.RMHistory{}, api.Invalid([]api.FieldError{{Field: "range", Message: "must be 1h, 1d or 1w"}})
	}
	now := s.now()
	samples, err := s.store.ListRMSamples(ctx, now.Add(-spec[0]))
	if err != nil {
		return api.RMHistory{}, err
	}
	out := api.RMHistory{Range: rng, Step: api.Duration(spec[1]), Samples: downsample(samples, spec[1])}
	s.mu.Lock()
	out.Samples = append(out.Samples, s.countNodes(now))
	s.mu.Unlock()
	return out, nil
}

// downsample averages samples per step-long bucket (rounded), keeping
// buckets that hold at least one sample.
func downsample(samples []store.RMSampleRecord, step time.Duration) []api.RMSample {
	var out []api.RMSample
	var sum api.RMSample
	n := 0
	flush := func() {
		if n > 0 {
			out = append(out, api.RMSample{Time: sum.Time, Free: (sum.Free + n/2) / n, Busy: (sum.Busy + n/2) / n, Down: (sum.Down + n/2) / n})
		}
		sum, n = api.RMSample{}, 0
	}
	for _, r := range samples {
		bucket := r.Time.Truncate(step)
		if n > 0 && !bucket.Equal(sum.Time) {
			flush()
		}
		sum.Time = bucket
		sum.Free += r.Free
		sum.Busy += r.Busy
		sum.Down += r.Down
		n++
	}
	flush()
	return out
}

// countNodes counts the nodes by state. Called with s.mu held.
func (s *Server) countNodes(now time.Time) api.RMSample {
	c := s.reg.Counts()
	return api.RMSample{Time: now, Free: c[api.NodeFree], Busy: c[api.NodeBusy], Down: c[api.NodeDown]}
}

// sampleLoop records the node counts every RMSampleInterval.
func (s *Server) sampleLoop(ctx context.Context) error {
	t := time.NewTicker(s.cfg.RMSampleInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		var c change
		s.mu.Lock()
		sm := s.countNodes(s.now())
		c.m.Samples = append(c.m.Samples, store.RMSampleRecord{Time: sm.Time, Free: sm.Free, Busy: sm.Busy, Down: sm.Down})
		s.seal(&c)
		s.mu.Unlock()
		_ = s.commitChange(&c)
	}
}

func nodeEventView(e store.NodeEventRecord) api.NodeEvent {
	return api.NodeEvent{Seq: e.Seq, Time: e.Time, Node: e.Node, State: api.NodeState(e.State),
		Locked: e.Locked, Draining: e.Draining, Event: e.Event, By: e.By, Info: e.Info}
}
