package server

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rm"
	"github.com/shrike-grid/shrike/store"
)

// subscribe wires the node-facing NATS subjects.
func (s *Server) subscribe() error {
	subs := []struct {
		subject string
		handler nats.MsgHandler
	}{
		{api.SubjectRegister("*"), s.handleRegister},
		{"shrike.node.*.heartbeat", s.handleHeartbeat},
		{"shrike.node.*.report", s.handleReport},
		{"shrike.node.*.log", s.handleLog},
	}
	for _, sub := range subs {
		ns, err := s.nc.Subscribe(sub.subject, sub.handler)
		if err != nil {
			return err
		}
		_ = ns.SetPendingLimits(-1, -1)
	}
	return s.nc.Flush()
}

// respond sends a JSON reply.
func (s *Server) respond(msg *nats.Msg, v any) {
	data, err := json.Marshal(v)
	if err == nil {
		err = msg.Respond(data)
	}
	if err != nil {
		s.log.Debug("reply failed", "subject", msg.Subject, "err", err)
	}
}

// handleRegister records a node's (re-)registration and reconciles what
// it reports it runs with what the server believes it runs.
func (s *Server) handleRegister(msg *nats.Msg) {
	var req api.RegisterRequest
	if err := json.Unmarshal(msg.Data, &req); err != nil {
		s.respond(msg, api.RegisterReply{Error: errorReply(api.CodeBadRequest, "bad registration: %v", err)})
		return
	}
	if err := api.ValidateNodeName(req.Name); err != nil {
		s.respond(msg, api.RegisterReply{Error: errorReply(api.CodeBadRequest, "%v", err)})
		return
	}
	if subj := nodeFromSubject(msg.Subject); subj != req.Name {
		s.respond(msg, api.RegisterReply{Error: errorReply(api.CodeForbidden, "node %s may not register as %s", subj, req.Name)})
		return
	}
	var c change
	s.mu.Lock()
	if inst, gone := s.removed[req.Name]; gone && inst == req.Instance {
		s.mu.Unlock()
		s.respond(msg, api.RegisterReply{Error: errorReply(api.CodeForbidden, "node %s was removed from the grid; restart the agent to join again", req.Name)})
		return
	}
	cred, ok := s.creds[req.Name]
	src := s.sources[cred.Source]
	prev := s.reg.Get(req.Name)
	if refusal := registrationRefusal(req.Name, ok, src, prev); refusal != "" {
		s.mu.Unlock()
		s.respond(msg, api.RegisterReply{Error: errorReply(api.CodeForbidden, "%s", refusal)})
		return
	}
	delete(s.removed, req.Name)
	now := s.now()
	wasDown := prev != nil && prev.Gone()
	n := s.reg.Register(req.Name, req.Instance, req.Facts, now)
	n.Source = cred.Source
	kill := s.reconcileNode(n, req.Running, now, &c)
	c.m.Nodes = append(c.m.Nodes, nodeRecord(n))
	info := "registered"
	if wasDown {
		info = "came back"
	}
	c.nodeEvent(n, info, "", "")
	c.wake = true
	s.seal(&c)
	s.mu.Unlock()
	s.kickSources()
	// Answer once durable, from a goroutine: registrations that arrive
	// together (every node after a server restart) share one write.
	go func() {
		if err := s.commitChange(&c); err != nil {
			s.respond(msg, api.RegisterReply{Error: errorReply(api.CodeUnavailable, "server cannot store the registration")})
			return
		}
		s.log.Info("node registered", "node", req.Name, "cpus", req.Facts.CPUs, "slots", req.Facts.Slots, "running", len(req.Running))
		s.respond(msg, api.RegisterReply{NodeID: req.Name, HeartbeatInterval: api.Duration(s.cfg.HeartbeatInterval), Kill: kill})
	}()
}

// registrationRefusal says why node name may not register now, or "".
func registrationRefusal(name string, hasCreds bool, src *source, n *rm.Node) string {
	switch {
	case !hasCreds:
		return "node " + name + " has no credentials (revoked?): join again with an enrollment token"
	case src == nil:
		return "the node source of node " + name + " no longer exists"
	case src.status != api.SourceDeployed && (n == nil || n.State != api.NodeToBeRemoved):
		return "node source " + src.spec.Name + " is not deployed: deploy it (shrike source deploy " + src.spec.Name + ") for its nodes to join"
	}
	return ""
}

// handleHeartbeat records liveness and reconciles running attempts. A node
// the server does not know (or knows under another instance, or as DOWN)
// is asked to register again.
func (s *Server) handleHeartbeat(msg *nats.Msg) {
	var hb api.Heartbeat
	name := nodeFromSubject(msg.Subject)
	if err := json.Unmarshal(msg.Data, &hb); err != nil || hb.Name != name {
		s.respond(msg, api.HeartbeatReply{Error: errorReply(api.CodeBadRequest, "bad heartbeat")})
		return
	}
	var c change
	s.mu.Lock()
	n := s.reg.Get(name)
	if n == nil || n.Instance != hb.Instance || !n.Alive() {
		s.mu.Unlock()
		s.respond(msg, api.HeartbeatReply{Reregister: true})
		return
	}
	now := s.now()
	configuring := n.State == api.NodeConfiguring
	s.reg.Heartbeat(n, hb.MemoryFree, hb.Load1, hb.DiskFree, now)
	n.Owner = hb.Owner
	kill := s.reconcileNode(n, hb.Running, now, &c)
	if configuring {
		s.nodeChanged(n, "ready", "", &c)
		c.wake = true
	}
	if configuring || hb.Owner != nil {
		s.kickSources()
	}
	s.seal(&c)
	s.mu.Unlock()
	if c.m.Empty() {
		s.respond(msg, api.HeartbeatReply{Kill: kill})
		return
	}
	go func() {
		if err := s.commitChange(&c); err == nil {
			s.respond(msg, api.HeartbeatReply{Kill: kill})
		}
	}()
}

// reconcileNode compares what node n reports it runs with the server's
// reservations on it. Attempts the server no longer wants are returned to
// be killed; reserved attempts the node does not have (and that were sent
// longer than DispatchGrace ago) were lost and are retried. The hold of a
// running multi-node attempt counts as running it. Called with s.mu held.
func (s *Server) reconcileNode(n *rm.Node, running []api.TaskRef, now time.Time, c *change) []api.TaskRef {
	reported := make(map[api.TaskKey]bool, len(running))
	var kill []api.TaskRef
	for _, ref := range running {
		k := ref.Key()
		reported[k] = true
		t := s.tasks[k.TaskID]
		if t != nil && api.TaskState(t.rec.State) == api.TaskRunning && t.key() == k && t.onNode(n.Name) {
			dispatched := now
			if t.rec.DispatchedAt != nil {
				dispatched = *t.rec.DispatchedAt
			}
			n.Allocate(k, allocOn(t, n.Name, dispatched)) // re-attach (no-op if held)
			continue
		}
		// Not wanted any more. One still held was killed (or preempted) and
		// is winding down: it keeps its reservation, and the kill is asked
		// again in case the first request was lost (a kill is idempotent).
		kill = append(kill, ref)
	}
	for _, k := range n.Allocs() {
		if reported[k] {
			continue
		}
		a, _ := n.Alloc(k)
		if now.Sub(a.DispatchedAt) < s.cfg.DispatchGrace {
			continue
		}
		n.Release(k)
		if t := s.tasks[k.TaskID]; t != nil && t.key() == k && api.TaskState(t.rec.State) == api.TaskRunning {
			s.loseAttempt(t, c, "the node no longer runs it")
		}
	}
	return kill
}

// livenessLoop declares DOWN the nodes that missed their heartbeats.
func (s *Server) livenessLoop(ctx context.Context) error {
	t := time.NewTicker(s.cfg.HeartbeatInterval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		s.checkLiveness()
	}
}

func (s *Server) checkLiveness() {
	var c change
	s.mu.Lock()
	now := s.now()
	for _, n := range s.reg.Expired(now, s.cfg.HeartbeatTimeout) {
		lost := s.reg.MarkDown(n, now)
		s.log.Warn("node down: missed its heartbeats", "node", n.Name, "last_seen", n.LastSeen, "attempts", len(lost))
		c.m.Nodes = append(c.m.Nodes, nodeRecord(n))
		c.nodeEvent(n, "down", "", "missed its heartbeats")
		for k := range lost {
			if t := s.tasks[k.TaskID]; t != nil && t.key() == k && api.TaskState(t.rec.State) == api.TaskRunning {
				s.loseAttempt(t, &c, "node "+n.Name+" went down")
			}
		}
		c.wake = true
	}
	s.expireDownNodes(now, &c)
	s.seal(&c)
	s.mu.Unlock()
	_ = s.commitChange(&c)
}

// expireDownNodes removes the nodes that have been DOWN for longer than
// DownNodeRetention. Called with s.mu held.
func (s *Server) expireDownNodes(now time.Time, c *change) {
	if s.cfg.DownNodeRetention <= 0 {
		return
	}
	for _, n := range s.reg.Nodes() {
		if !n.Gone() || now.Sub(n.StateSince) <= s.cfg.DownNodeRetention {
			continue
		}
		why := fmt.Sprintf("%s for longer than %s", n.State, s.cfg.DownNodeRetention)
		if src := s.sources[n.Source]; src != nil {
			n.Info = why
			s.finishRelease(src, n, c)
		} else {
			s.forgetNode(n, "", why, c)
		}
		s.log.Info("node removed: gone for too long", "node", n.Name, "state", n.State, "since", n.StateSince)
	}
}

// nodeRecord is the store row of a node.
func nodeRecord(n *rm.Node) store.NodeRecord {
	facts, _ := json.Marshal(n.Facts)
	r := store.NodeRecord{Name: n.Name, State: string(n.State), Instance: n.Instance, Facts: facts,
		RegisteredAt: n.RegisteredAt, LastSeen: n.LastSeen, Draining: n.Draining,
		Source: n.Source, StateSince: n.StateSince, Handle: n.Handle}
	if n.Lock != nil {
		r.LockedBy, r.LockedAt, r.LockReason = n.Lock.By, timePtr(n.Lock.At), n.Lock.Reason
	}
	return r
}
