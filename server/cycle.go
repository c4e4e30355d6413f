package server

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
)

// The scheduling window: one cycle examines the head of the queue only,
// windowBase tasks plus windowPerSlot per free slot, at most windowMax;
// the rest wait for a later cycle. Copying a 100,000-task queue into every
// snapshot would cost more than the decision.
const (
	windowBase    = 256
	windowPerSlot = 16
	windowMax     = 20_000
	windowIdle    = 64
)

// scheduleLoop runs a scheduling cycle whenever something may have changed
// (a submission, an attempt's end, a node joining) and at least every
// ScheduleInterval.
func (s *Server) scheduleLoop(ctx context.Context) error {
	t := time.NewTicker(s.cfg.ScheduleInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-t.C:
		}
		s.cycle()
	}
}

// cycle takes a snapshot, asks the pure scheduler for a plan, and applies
// the plan: each placement is re-checked against the current state (the
// task still waits, the node is still alive with room), made durable, and
// only then sent to its node, one batch per node.
func (s *Server) cycle() {
	s.mu.Lock()
	snap, head := s.snapshot()
	classes, selNodes := s.classify(&snap, head)
	s.mu.Unlock()
	if len(snap.Queue) == 0 {
		return
	}
	if len(classes) > 0 {
		s.evaluateClasses(context.Background(), &snap, classes, selNodes)
	}
	plan := scheduler.Schedule(snap)

	var c change
	s.mu.Lock()
	now := s.now()
	for _, p := range plan.Preemptions {
		s.preempt(p, &c)
	}
	for _, pl := range plan.Placements {
		s.place(pl, now, &c)
	}
	for _, u := range plan.Unplaced {
		if t := s.tasks[u.TaskID]; t != nil {
			t.unplaced = u.Reasons
			logWaiting(t, u.Reasons, &c)
		}
	}
	s.seal(&c)
	s.mu.Unlock()
	// The next cycle need not wait for this one's write: the starts go out
	// once it is durable.
	go func() { _ = s.commitChange(&c) }()
}

// snapshot builds the scheduler's input. When no node has a free slot
// nothing can be placed, and only the head of the queue (windowIdle tasks)
// is examined, to keep its waiting reasons current. Called with s.mu held.
func (s *Server) snapshot() (scheduler.Snapshot, []*taskState) {
	snap := scheduler.Snapshot{Now: s.now(), HalfLife: s.cfg.FairShareHalfLife}
	if s.ready.live == 0 {
		return snap, nil // nothing waits: no need to look at the nodes
	}
	snap.Queues = make([]scheduler.Queue, len(s.queues))
	for i, q := range s.queues {
		snap.Queues[i] = schedulerQueue(q)
	}
	s.fair.Fill(snap.Queues, snap.Now)
	snap.Running = s.snapshotRunning()
	free := 0
	s.snapNodes = s.reg.AppendNodes(s.snapNodes[:0])
	// The node table is reused from cycle to cycle: cycles run one at a
	// time, and Schedule keeps nothing of its snapshot.
	snap.Nodes = slices.Grow(s.snapBuf[:0], len(s.snapNodes))
	var src *source
	srcName := "\x00"
	// What selection scripts need of each node, copied in the same pass
	// when some waiting task has scripts.
	s.selRefs = s.selRefs[:0]
	if s.ready.selecting > 0 {
		s.selRefs = slices.Grow(s.selRefs, len(s.snapNodes))
	}
	for _, n := range s.snapNodes {
		cpu, mem, slots := n.Free()
		why := n.Unavailable()
		if why == "" {
			free += max(slots, 0)
		}
		if s.ready.selecting > 0 {
			s.selRefs = append(s.selRefs, selRef{name: n.Name, factsGen: n.FactsGen, loadGen: n.LoadGen, free: why == "",
				milliCPU: cpu, memory: mem, slots: slots})
		}
		sn := scheduler.Node{Name: n.Name, MilliCPU: cpu, Memory: mem, Slots: slots, Unavailable: why, Host: n.Facts.Hostname}
		if n.Source != srcName {
			src, srcName = s.sources[n.Source], n.Source
		}
		if src != nil {
			sn.Tokens, sn.Access = src.spec.NodeTokens, src.spec.Access.Use
		}
		snap.Nodes = append(snap.Nodes, sn)
	}
	s.snapBuf = snap.Nodes
	window := min(windowMax, windowBase+windowPerSlot*free)
	if free == 0 {
		window = windowIdle
	}
	head := s.gate(s.unpausedHead(window))
	snap.Queue = make([]scheduler.QueuedTask, len(head))
	for i, t := range head {
		snap.Queue[i] = t.qt
		snap.Queue[i].Groups = s.userGroups[t.qt.User]
		snap.Queue[i].Preempting = len(t.victims) > 0 && s.preempting(t)
	}
	return snap, head
}

// place applies one placement if it still holds: every node of it (one,
// or a multi-node task's) is re-checked, and then all are allocated.
// Called with s.mu held.
func (s *Server) place(pl scheduler.Placement, now time.Time, c *change) {
	t := s.tasks[pl.TaskID]
	if t == nil || !t.queued || api.TaskState(t.rec.State) != api.TaskPending {
		return
	}
	slots := slotsOf(pl)
	nodes := s.checkSlots(t, slots)
	if nodes == nil {
		return
	}
	n := nodes[0]
	if ts := s.selectionOf(t); ts != nil && ts.dynKey != "" {
		for _, sn := range nodes {
			s.sel.dyn.consume(dynKey(ts.dynKey, sn.Name))
		}
	}
	s.ready.remove(t)
	t.victims = nil
	t.unplaced, t.waitLogged = nil, nil
	s.dropResult(t, c)
	t.rec.Attempt++
	t.rec.State = string(api.TaskRunning)
	t.rec.Node = n.Name
	t.rec.DispatchedAt = timePtr(now)
	t.rec.StartedAt, t.rec.FinishedAt, t.rec.ExitCode = nil, nil, nil
	t.nodes = append(t.nodes[:min(len(t.nodes), t.rec.Attempt-1)], n.Name)
	t.rec.Others = slices.Clone(pl.Others)
	for _, sn := range nodes {
		sn.Allocate(t.key(), allocOn(t, sn.Name, now))
	}
	c.task(t)
	c.taskEvent(t, "")
	s.track(t, c)
	st := s.startTask(t)
	if len(t.rec.Others) > 0 {
		st.Nodes = t.slotNodes()
	}
	c.start(n.Name, st)
	for _, sn := range nodes[1:] {
		c.start(sn.Name, holdStart(st))
	}
}

// sendStart sends one node its batch of starts. A start the node rejects
// ends that attempt with an error; a lost request is healed by the node's
// next heartbeat (the attempt is missing there, so it is retried).
func (s *Server) sendStart(node string, batch []api.StartTask) {
	if parts, tooBig := splitStarts(batch); len(parts) != 1 || len(tooBig) > 0 {
		s.refuseStarts(node, tooBig)
		for _, part := range parts {
			s.sendStart(node, part)
		}
		return
	}
	var reply api.CommandReply
	err := s.request(api.SubjectCommand(node), api.Command{Start: &api.StartRequest{Tasks: batch}}, &reply)
	if errors.Is(err, errNotConnected) {
		s.undeliverable(node, batch)
		return
	}
	if err != nil {
		s.log.Warn("start request failed", "node", node, "tasks", len(batch), "err", err)
		return
	}
	if len(reply.Rejected) == 0 {
		return
	}
	now := s.now()
	results := make([]api.TaskResult, len(reply.Rejected))
	for i, r := range reply.Rejected {
		results[i] = api.TaskResult{TaskRef: r.TaskRef, Outcome: api.OutcomeError, ExitCode: -1,
			Error: "node refused to start it: " + r.Reason, StartedAt: now, FinishedAt: now}
	}
	s.applyResults(node, results)
}

// sendKill asks a node to stop attempts.
func (s *Server) sendKill(node string, refs []api.TaskRef) {
	var reply api.CommandReply
	if err := s.request(api.SubjectCommand(node), api.Command{Kill: &api.KillRequest{Tasks: refs}}, &reply); err != nil {
		s.log.Warn("kill request failed; the node's next heartbeat repeats it", "node", node, "err", err)
	}
}

// errNotConnected: nobody listens on the node's subject, so a request
// certainly did not reach it.
var errNotConnected = errors.New("node is not connected")

// undeliverable hands back starts that certainly never reached their node:
// the attempts never ran, so they are undone without counting against the
// task.
func (s *Server) undeliverable(node string, batch []api.StartTask) {
	var c change
	s.mu.Lock()
	n := s.reg.Get(node)
	for _, st := range batch {
		t := s.tasks[st.TaskID]
		if n != nil {
			n.Release(st.Key())
		}
		if t == nil || t.key() != st.Key() || api.TaskState(t.rec.State) != api.TaskRunning {
			continue
		}
		t.rec.Attempt--
		t.nodes = t.nodes[:t.rec.Attempt]
		t.rec.State, t.rec.Node, t.rec.DispatchedAt = string(api.TaskPending), "", nil
		c.task(t)
		c.taskEvent(t, "node "+node+" was not connected; waiting for another placement")
		s.track(t, &c)
	}
	c.wake = true
	s.seal(&c)
	s.mu.Unlock()
	s.log.Info("start not delivered: node not connected", "node", node, "tasks", len(batch))
	_ = s.commitChange(&c)
}

// request sends a JSON request to a node and decodes the reply.
func (s *Server) request(subject string, req, reply any) error {
	return s.requestWithin(subject, req, reply, s.cfg.RequestTimeout)
}

// requestWithin is request with its own timeout.
func (s *Server) requestWithin(subject string, req, reply any, timeout time.Duration) error {
	data, err := json.Marshal(req)
	if err != nil {
		return err
	}
	msg, err := s.nc.Request(subject, data, timeout)
	if errors.Is(err, nats.ErrNoResponders) {
		return errNotConnected
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(msg.Data, reply)
}
