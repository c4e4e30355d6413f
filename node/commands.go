package node

import (
	"encoding/json"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
)

// handleCommand answers one Command from the server on the node's command
// subject. Starts are acknowledged as soon as the attempts are admitted;
// the processes start in the background.
func (a *Agent) handleCommand(m *nats.Msg) {
	var cmd api.Command
	if err := json.Unmarshal(m.Data, &cmd); err != nil {
		a.respondCommand(m, api.CommandReply{Error: api.Errorf(api.CodeBadRequest, "bad command: %v", err)})
		return
	}
	if cmd.Select != nil && commandFields(cmd) == 1 {
		// Dynamic scripts may take seconds: they must not hold up the
		// commands that follow (select.go).
		a.selectAsync(m, *cmd.Select)
		return
	}
	a.respondCommand(m, a.command(cmd))
}

// respondCommand sends reply to a command, if it asked for one.
func (a *Agent) respondCommand(m *nats.Msg, reply api.CommandReply) {
	data, err := json.Marshal(reply)
	if err != nil {
		a.log.Error("cannot encode command reply", "err", err)
		return
	}
	if m.Reply == "" {
		return
	}
	if err := m.Respond(data); err != nil {
		a.log.Warn("cannot answer command", "err", err)
	}
}

// command executes one decoded Command.
func (a *Agent) command(cmd api.Command) api.CommandReply {
	if commandFields(cmd) != 1 {
		return api.CommandReply{Error: api.Errorf(api.CodeBadRequest, "a command must set exactly one of start, kill, fetch_log, leave, suspend, select and exec")}
	}
	switch {
	case cmd.Leave != nil:
		a.log.Warn("removed from the grid by the server", "reason", cmd.Leave.Reason)
		select {
		case a.left <- cmd.Leave.Reason:
		default: // already leaving
		}
		return api.CommandReply{}
	case cmd.Start != nil:
		return a.startTasks(cmd.Start.Tasks)
	case cmd.Suspend != nil:
		return a.suspendTasks(*cmd.Suspend)
	case cmd.Select != nil:
		return a.selectNow(*cmd.Select)
	case cmd.Exec != nil:
		return a.exec(*cmd.Exec)
	case cmd.Kill != nil:
		found := a.killAttempts(cmd.Kill.Tasks)
		if len(found) > 0 {
			a.log.Info("killing tasks", "count", len(found), "reason", cmd.Kill.Reason)
		}
		return api.CommandReply{Accepted: found}
	default:
		return a.fetchLog(*cmd.FetchLog)
	}
}

// commandFields counts the fields of cmd that are set.
func commandFields(cmd api.Command) int {
	n := 0
	for _, set := range []bool{cmd.Start != nil, cmd.Kill != nil, cmd.FetchLog != nil, cmd.Leave != nil, cmd.Suspend != nil, cmd.Select != nil, cmd.Exec != nil} {
		if set {
			n++
		}
	}
	return n
}

// startTasks admits each task: Accepted if it runs (or already ran and
// awaits acknowledgement), Rejected with the reason otherwise.
func (a *Agent) startTasks(tasks []api.StartTask) api.CommandReply {
	var reply api.CommandReply
	for _, t := range tasks {
		if reason := checkStart(t); reason != "" {
			reply.Rejected = append(reply.Rejected, api.RejectedTask{TaskRef: t.TaskRef, Reason: reason})
			continue
		}
		if ok, reason := a.admit(t); !ok {
			reply.Rejected = append(reply.Rejected, api.RejectedTask{TaskRef: t.TaskRef, Reason: reason})
			continue
		}
		reply.Accepted = append(reply.Accepted, t.TaskRef)
	}
	return reply
}
