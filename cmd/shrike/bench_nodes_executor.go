package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
)

// report sends the results awaiting acknowledgement; what the server does
// not acknowledge is sent again a second later (the agent's outbox retry).
func (n *simNode) report(ctx context.Context) {
	n.mu.Lock()
	batch := make([]api.TaskResult, 0, len(n.results))
	for _, r := range n.results {
		batch = append(batch, r)
	}
	n.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	var ack api.ReportAck
	err := n.request(ctx, api.SubjectReport(n.name), api.ReportBatch{Name: n.name, Results: batch}, &ack)
	if ctx.Err() != nil {
		return
	}
	if err == nil && ack.Error != nil {
		err = ack.Error
	}
	if err != nil {
		n.f.reportFailures.Add(1)
		time.AfterFunc(time.Second, func() { notify(n.kick) })
		return
	}
	n.mu.Lock()
	sent := len(batch)
	for _, ref := range ack.Acked {
		if _, ok := n.results[ref.Key()]; ok {
			delete(n.results, ref.Key())
			n.f.acked.Add(1)
			sent--
		}
	}
	n.mu.Unlock()
	if sent > 0 { // some not acknowledged: send them again later
		time.AfterFunc(time.Second, func() { notify(n.kick) })
	}
	// Results that ended during the request have kicked again already.
}

// handleCommand is the fake executor: starts are accepted and succeed after
// --task-time, kills end the attempt as killed, and logs are empty.
func (n *simNode) handleCommand(m *nats.Msg) {
	var cmd api.Command
	var reply api.CommandReply
	switch err := json.Unmarshal(m.Data, &cmd); {
	case err != nil:
		reply.Error = api.Errorf(api.CodeBadRequest, "bad command: %v", err)
	case cmd.Start != nil:
		for _, t := range cmd.Start.Tasks {
			n.start(t.TaskRef)
			reply.Accepted = append(reply.Accepted, t.TaskRef)
		}
	case cmd.Kill != nil:
		reply.Accepted = n.kill(cmd.Kill.Tasks)
	case cmd.FetchLog != nil:
		reply.Log = &api.LogChunk{TaskRef: cmd.FetchLog.TaskRef, Offset: cmd.FetchLog.Offset, EOF: true}
	default: // an empty command, or one the simulator does not play (leave)
		reply.Error = api.Errorf(api.CodeBadRequest, "the simulated node does not handle this command")
	}
	if m.Reply == "" {
		return
	}
	if data, err := json.Marshal(reply); err == nil {
		_ = m.Respond(data)
	}
}

// start admits an attempt; a repeated start of one it runs or holds a
// result for is accepted without starting anything.
func (n *simNode) start(ref api.TaskRef) {
	k := ref.Key()
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.running[k]; ok {
		return
	}
	if _, ok := n.results[k]; ok {
		return
	}
	a := &simAttempt{ref: ref, started: time.Now()}
	a.timer = time.AfterFunc(n.f.o.taskTime, func() { n.finish(a, api.OutcomeSucceeded) })
	n.running[k] = a
	n.f.started.Add(1)
}

// finish moves a running attempt's result to the outbox and asks for a
// report.
func (n *simNode) finish(a *simAttempt, outcome api.Outcome) {
	k := a.ref.Key()
	n.mu.Lock()
	if n.running[k] != a {
		n.mu.Unlock()
		return
	}
	delete(n.running, k)
	res := api.TaskResult{TaskRef: a.ref, Outcome: outcome, StartedAt: a.started, FinishedAt: time.Now()}
	if outcome != api.OutcomeSucceeded {
		res.ExitCode = -1
	}
	n.results[k] = res
	n.mu.Unlock()
	notify(n.kick)
}

// kill ends the listed attempts that run, as killed, and returns them.
func (n *simNode) kill(refs []api.TaskRef) []api.TaskRef {
	var found []api.TaskRef
	for _, ref := range refs {
		n.mu.Lock()
		a := n.running[ref.Key()]
		n.mu.Unlock()
		if a != nil {
			a.timer.Stop()
			n.finish(a, api.OutcomeKilled)
			found = append(found, ref)
		}
	}
	return found
}
