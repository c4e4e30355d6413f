package server

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/policies"
	"github.com/shrike-grid/shrike/rm"
	"github.com/shrike-grid/shrike/rm/infra"
)

// kickSources wakes the node-source loop (coalesced).
func (s *Server) kickSources() {
	select {
	case s.sourceWake <- struct{}{}:
	default:
	}
}

// sourceLoop lets every deployed source's policy decide, whenever something
// changed (a node joined or left, the queue grew, an owner reading came
// in) and at least every PolicyInterval, and asks infrastructures which of
// their nodes are gone every InfraCheckInterval.
func (s *Server) sourceLoop(ctx context.Context) error {
	decide := time.NewTicker(s.cfg.PolicyInterval)
	defer decide.Stop()
	check := time.NewTicker(s.cfg.InfraCheckInterval)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-check.C:
			s.checkInfrastructures(ctx)
			continue
		case <-s.sourceWake:
		case <-decide.C:
		}
		s.decideSources()
		// Wakes come in bursts (heartbeats, submissions): decide at most
		// ten times a second.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// decideSources runs one decision of every deployed source and applies it;
// it also completes releases and times out deployments.
func (s *Server) decideSources() {
	var c change
	s.mu.Lock()
	now := s.now()
	pending := s.pendingBySource()
	for _, name := range slices.Sorted(maps.Keys(s.sources)) {
		src := s.sources[name]
		nodes := s.sourceNodes(name)
		for _, n := range nodes {
			switch {
			case n.State == api.NodeDeploying && now.Sub(n.StateSince) > s.cfg.DeployTimeout:
				s.markLost(n, fmt.Sprintf("did not register within %s of its deployment", s.cfg.DeployTimeout), &c)
			case n.State == api.NodeToBeRemoved && n.Empty():
				s.finishRelease(src, n, &c)
			}
		}
		s.finishUndeploy(src, &c)
		if src.status != api.SourceDeployed || src.policy == nil {
			continue
		}
		snap := policies.Snapshot{Now: now, PendingTasks: pending[name]}
		if src.infra != nil {
			snap.Capacity = src.infra.Capacity()
		}
		for _, n := range s.sourceNodes(name) {
			if n.State == api.NodeToBeRemoved {
				continue
			}
			snap.Nodes = append(snap.Nodes, policyNode(n))
		}
		d, st := src.policy.Decide(snap, src.pstate)
		src.nextCheck = d.NextCheck
		if !slices.Equal(st.Redeploys, src.pstate.Redeploys) {
			src.pstate = st
			c.m.Sources = append(c.m.Sources, src.record())
		}
		s.applyDecision(src, d, now, &c)
	}
	s.seal(&c)
	s.mu.Unlock()
	_ = s.commitChange(&c)
}

// policyNode is n as a policy sees it.
func policyNode(n *rm.Node) policies.Node {
	pn := policies.Node{Name: n.Name, State: n.State, Since: n.StateSince, Tasks: n.Running(),
		IdleSince: n.IdleSince, Withheld: n.Withheld != "", Suspended: n.Suspended}
	if n.State == api.NodeConfiguring {
		pn.State = api.NodeDeploying // coming, not yet usable
	}
	if n.Owner != nil {
		pn.Owner = &policies.Owner{InputIdle: time.Duration(n.Owner.InputIdle), Load: n.Owner.Load}
	}
	return pn
}

// pendingBySource counts, for each deployed source whose policy looks at
// the queue (elastic), the waiting tasks its nodes could run. Called with
// s.mu held.
func (s *Server) pendingBySource() map[string]int {
	var elastic []*source
	for _, src := range s.sources {
		if src.status == api.SourceDeployed && src.policy != nil && src.policy.Kind() == policies.KindElastic {
			elastic = append(elastic, src)
		}
	}
	if len(elastic) == 0 {
		return nil
	}
	out := make(map[string]int, len(elastic))
	s.ready.each(func(t *taskState) {
		for _, src := range elastic {
			if s.sourceTakes(src, t) {
				out[src.spec.Name]++
			}
		}
	})
	return out
}

// sourceTakes reports whether t may run on src's nodes: its owner may use
// them and its node token matches theirs. Called with s.mu held.
func (s *Server) sourceTakes(src *source, t *taskState) bool {
	tok := t.spec.NodeToken
	if tok == "" && len(src.spec.NodeTokens) > 0 || tok != "" && !slices.Contains(src.spec.NodeTokens, tok) {
		return false
	}
	return src.mayUse(t.job.rec.Owner, s.userGroups[t.job.rec.Owner])
}

// applyDecision carries out a policy's decision. Called with s.mu held.
func (s *Server) applyDecision(src *source, d policies.Decision, now time.Time, c *change) {
	var said []string
	if d.Acquire > 0 {
		if src.spec.Infrastructure.Type == "enroll" {
			// Enrolled nodes join by themselves; nothing to start.
		} else {
			for range d.Acquire {
				s.acquireNode(src, d.AcquireReason, now, c)
			}
			said = append(said, fmt.Sprintf("acquire %d (%s)", d.Acquire, d.AcquireReason))
		}
	}
	act := func(list []policies.Action, verb string, f func(n *rm.Node, a policies.Action)) {
		for _, a := range list {
			n := s.reg.Get(a.Node)
			if n == nil || n.Source != src.spec.Name {
				continue
			}
			f(n, a)
			said = append(said, verb+" "+a.Node+" ("+a.Reason+")")
		}
	}
	act(d.Release, "release", func(n *rm.Node, a policies.Action) { s.releaseNode(src, n, a.Reason, a.Preempt, c) })
	act(d.Redeploy, "redeploy", func(n *rm.Node, a policies.Action) { s.redeployNode(src, n, a.Reason, now, c) })
	act(d.Withhold, "withhold", func(n *rm.Node, a policies.Action) {
		n.Withheld = a.Reason
		s.nodeChanged(n, "withheld", a.Reason, c)
	})
	act(d.Offer, "offer", func(n *rm.Node, a policies.Action) {
		n.Withheld = ""
		s.nodeChanged(n, "offered", a.Reason, c)
		c.wake = true
	})
	act(d.Suspend, "suspend", func(n *rm.Node, a policies.Action) {
		n.Suspended = now
		if n.Withheld == "" {
			n.Withheld = a.Reason
		}
		s.nodeChanged(n, "suspended", a.Reason, c)
		s.sendSuspend(n.Name, false, a.Reason, c)
	})
	act(d.Resume, "resume", func(n *rm.Node, a policies.Action) {
		n.Suspended = time.Time{}
		s.nodeChanged(n, "resumed", a.Reason, c)
		s.sendSuspend(n.Name, true, a.Reason, c)
	})
	act(d.Vacate, "vacate", func(n *rm.Node, a policies.Action) {
		s.requeueNode(n, "vacated: "+a.Reason, c)
		n.Suspended = time.Time{}
		s.nodeChanged(n, "vacated", a.Reason, c)
	})
	if len(said) > 0 {
		src.lastDecision = now.UTC().Format(time.RFC3339) + ": " + strings.Join(said, "; ")
		s.log.Info("node source decision", "source", src.spec.Name, "decision", strings.Join(said, "; "))
	}
}

// nodeChanged records a change of n (its row and an event). Called with
// s.mu held.
func (s *Server) nodeChanged(n *rm.Node, event, info string, c *change) {
	c.m.Nodes = append(c.m.Nodes, nodeRecord(n))
	c.nodeEvent(n, event, "", info)
}

// sendSuspend tells a node to stop or continue its tasks once c is durable.
func (s *Server) sendSuspend(node string, resume bool, reason string, c *change) {
	c.after = append(c.after, func() {
		var reply api.CommandReply
		err := s.request(api.SubjectCommand(node), api.Command{Suspend: &api.SuspendRequest{Resume: resume, Reason: reason}}, &reply)
		if err == nil && reply.Error != nil {
			err = reply.Error
		}
		if err != nil {
			s.log.Warn("suspend/resume request failed", "node", node, "resume", resume, "err", err)
		}
	})
}

// acquireNode adds a DEPLOYING node to src with fresh credentials and asks
// the infrastructure to start it once that is durable. Called with s.mu
// held.
func (s *Server) acquireNode(src *source, reason string, now time.Time, c *change) {
	name := fmt.Sprintf("%s-%d", src.spec.Name, src.nextIndex)
	for s.reg.Get(name) != nil || s.creds[name].Node != "" {
		src.nextIndex++
		name = fmt.Sprintf("%s-%d", src.spec.Name, src.nextIndex)
	}
	src.nextIndex++
	n := s.reg.Add(name, src.spec.Name, now)
	n.Source = src.spec.Name
	cred := s.mintCredentials(name, src.spec.Name, c)
	s.nodeChanged(n, "deploying", reason, c)
	inf := src.infra
	c.after = append(c.after, func() { s.deployNode(inf, name, cred) })
}

// redeployNode starts a DOWN or LOST node again under the same name, with
// new credentials. Called with s.mu held.
func (s *Server) redeployNode(src *source, n *rm.Node, reason string, now time.Time, c *change) {
	if src.infra == nil || src.spec.Infrastructure.Type == "enroll" || !n.Gone() {
		return
	}
	old := infra.Deployed{Name: n.Name, Handle: n.Handle}
	inf := src.infra
	if old.Handle != "" {
		c.after = append(c.after, func() { s.releaseInfra(inf, old) })
	}
	s.revokeCredentials(n.Name, c)
	cred := s.mintCredentials(n.Name, src.spec.Name, c)
	n.Handle, n.Info = "", ""
	n.SetState(api.NodeDeploying, now)
	s.nodeChanged(n, "deploying", "redeploy: "+reason, c)
	name := n.Name
	c.after = append(c.after, func() { s.deployNode(inf, name, cred) })
}

// deployNode asks inf to start node name (without s.mu) and records the
// outcome: its handle, or LOST with the reason.
func (s *Server) deployNode(inf infra.Infrastructure, name string, cred api.NodeCredentials) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.DeployTimeout)
	handle, err := inf.Deploy(ctx, infra.Node{Name: name, Credentials: cred})
	cancel()
	var c change
	s.mu.Lock()
	n := s.reg.Get(name)
	switch {
	case n == nil:
		// Released while it was being deployed: stop it again.
		if err == nil {
			c.after = append(c.after, func() { s.releaseInfra(inf, infra.Deployed{Name: name, Handle: handle}) })
		}
	case err != nil && n.State != api.NodeDeploying:
		// It registered anyway (or was released): nothing to record.
	case err != nil:
		s.log.Warn("node deployment failed", "node", name, "err", err)
		if src := s.sources[n.Source]; src != nil {
			src.lastErr = fmt.Sprintf("%s: deploying %s: %v", s.now().UTC().Format(time.RFC3339), name, err)
		}
		s.markLost(n, "deployment failed: "+err.Error(), &c)
	default:
		n.Handle = handle
		c.m.Nodes = append(c.m.Nodes, nodeRecord(n))
	}
	s.seal(&c)
	s.mu.Unlock()
	_ = s.commitChange(&c)
}

// releaseInfra stops a deployed node's agent (best effort, logged).
func (s *Server) releaseInfra(inf infra.Infrastructure, d infra.Deployed) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.DeployTimeout)
	defer cancel()
	if err := inf.Release(ctx, d); err != nil {
		s.log.Warn("releasing node failed", "node", d.Name, "handle", d.Handle, "err", err)
	}
}

// releaseNode starts the release of n: it takes no new work (TO_BE_REMOVED)
// and leaves once its tasks end, at once when preempt (its tasks are
// queued again without counting a failure). Called with s.mu held.
func (s *Server) releaseNode(src *source, n *rm.Node, why string, preempt bool, c *change) {
	if !n.Alive() {
		s.finishRelease(src, n, c)
		return
	}
	if preempt {
		s.requeueNode(n, "preempted: "+why, c)
	}
	if n.State != api.NodeToBeRemoved {
		n.SetState(api.NodeToBeRemoved, s.now())
		n.Info = why
		s.nodeChanged(n, "releasing", why, c)
	}
	if n.Empty() {
		s.finishRelease(src, n, c)
	}
}

// finishRelease removes a released node: a connected agent is told to
// leave, the infrastructure stops what it deployed, and the credentials of
// deployed nodes are revoked (enrolled nodes keep theirs, to join again
// when their source is deployed again). Called with s.mu held.
func (s *Server) finishRelease(src *source, n *rm.Node, c *change) {
	if src.infra != nil && n.Handle != "" {
		inf, d := src.infra, infra.Deployed{Name: n.Name, Handle: n.Handle}
		c.after = append(c.after, func() { s.releaseInfra(inf, d) })
	}
	if src.spec.Infrastructure.Type != "enroll" {
		s.revokeCredentials(n.Name, c)
	}
	s.forgetNode(n, "", n.Info, c)
}

// forgetNode removes n from the registry and the store, telling a
// connected agent to leave. Called with s.mu held.
func (s *Server) forgetNode(n *rm.Node, by, why string, c *change) {
	alive := n.Alive()
	for k := range s.reg.Remove(n.Name) {
		if t := s.tasks[k.TaskID]; t != nil && t.key() == k && api.TaskState(t.rec.State) == api.TaskRunning {
			s.requeueAttempt(t, "node "+n.Name+" was removed", c)
		}
	}
	if n.Instance != "" {
		s.removed[n.Name] = n.Instance
	}
	c.m.DeleteNodes = append(c.m.DeleteNodes, n.Name)
	c.nodeEvent(n, "removed", by, why)
	c.wake = true
	if alive {
		name := n.Name
		c.after = append(c.after, func() {
			s.mu.Lock()
			_, kept := s.creds[name]
			s.mu.Unlock()
			if !kept {
				s.auth.revoke(name) // no new connection from now on
			}
			var reply api.CommandReply
			_ = s.request(api.SubjectCommand(name), api.Command{Leave: &api.LeaveRequest{Reason: why}}, &reply)
			if !kept {
				s.applyCredentials(nil, []string{name}) // closes the current one
			}
		})
	}
}

// markLost declares n LOST: its attempts are handed back to the scheduler
// like those of a DOWN node. Called with s.mu held.
func (s *Server) markLost(n *rm.Node, why string, c *change) {
	for k := range s.reg.MarkGone(n, api.NodeLost, s.now()) {
		if t := s.tasks[k.TaskID]; t != nil && t.key() == k && api.TaskState(t.rec.State) == api.TaskRunning {
			s.loseAttempt(t, c, "node "+n.Name+" was lost")
		}
	}
	n.Info = why
	s.nodeChanged(n, "lost", why, c)
	c.wake = true
	s.kickSources()
}

// requeueNode kills every attempt n runs and queues the tasks again
// without counting a failure (vacate, preemption). Called with s.mu held.
func (s *Server) requeueNode(n *rm.Node, why string, c *change) {
	for k, a := range n.TakeAllocs() {
		t := s.tasks[k.TaskID]
		if t == nil || t.key() != k || api.TaskState(t.rec.State) != api.TaskRunning {
			continue
		}
		c.kill(n.Name, api.TaskRef{TaskID: k.TaskID, Attempt: k.Attempt, JobID: a.JobID, Task: a.Task})
		s.requeueAttempt(t, why, c)
	}
	n.IdleSince = s.now()
}

// requeueAttempt puts a running task back in the queue without counting
// the attempt against any budget. Called with s.mu held.
func (s *Server) requeueAttempt(t *taskState, why string, c *change) {
	t.rec.State = string(api.TaskPending)
	t.rec.Node = ""
	t.rec.Error = why
	t.rec.FinishedAt = timePtr(s.now())
	c.task(t)
	c.taskEvent(t, why)
	s.track(t, c)
}

// checkInfrastructures asks every infrastructure which of its deployed
// nodes are gone and marks them LOST.
func (s *Server) checkInfrastructures(ctx context.Context) {
	type work struct {
		inf   infra.Infrastructure
		nodes []infra.Deployed
	}
	var todo []work
	s.mu.Lock()
	for name, src := range s.sources {
		if src.infra == nil {
			continue
		}
		w := work{inf: src.infra}
		for _, n := range s.sourceNodes(name) {
			if n.Handle != "" && n.State != api.NodeLost {
				w.nodes = append(w.nodes, infra.Deployed{Name: n.Name, Handle: n.Handle})
			}
		}
		if len(w.nodes) > 0 {
			todo = append(todo, w)
		}
	}
	s.mu.Unlock()
	for _, w := range todo {
		cctx, cancel := context.WithTimeout(ctx, s.cfg.DeployTimeout)
		gone := w.inf.Check(cctx, w.nodes)
		cancel()
		if len(gone) == 0 {
			continue
		}
		var c change
		s.mu.Lock()
		for _, d := range w.nodes {
			why, ok := gone[d.Name]
			if n := s.reg.Get(d.Name); ok && n != nil && n.Handle == d.Handle && n.State != api.NodeLost {
				if n.State == api.NodeToBeRemoved {
					// Stopped by its release: finish it.
					if src := s.sources[n.Source]; src != nil {
						s.finishRelease(src, n, &c)
					}
					continue
				}
				s.markLost(n, why, &c)
			}
		}
		s.seal(&c)
		s.mu.Unlock()
		_ = s.commitChange(&c)
	}
}
