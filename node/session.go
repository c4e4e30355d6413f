package node

import (
	"context"
	"fmt"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// defaultHeartbeat is used when the server's RegisterReply leaves the
// interval zero.
const defaultHeartbeat = 5 * time.Second

// session registers, then heartbeats every interval, registering again
// when the server asks or the connection comes back. It returns nil when
// ctx is cancelled and an error when the node cannot go on (credentials
// refused, connection closed for good).
func (a *Agent) session(ctx context.Context) error {
	interval, err := a.register(ctx)
	if err != nil {
		return a.sessionEnd(ctx, err)
	}
	// The first heartbeat right away: it confirms the registration, and the
	// server gives the node work only from then on (CONFIGURING → FREE).
	if err := a.heartbeat(ctx); err != nil {
		return a.sessionEnd(ctx, err)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.closed:
			return a.sessionEnd(ctx, a.closedError())
		case reason := <-a.left:
			return a.removed(reason)
		case <-a.reregister:
			if interval, err = a.register(ctx); err != nil {
				return a.sessionEnd(ctx, err)
			}
			if err := a.heartbeat(ctx); err != nil {
				return a.sessionEnd(ctx, err)
			}
			tick.Reset(interval)
		case <-tick.C:
			if err := a.heartbeat(ctx); err != nil {
				return a.sessionEnd(ctx, err)
			}
		}
	}
}

// sessionEnd turns a cancellation into nil, and an error after the
// server removed the node into ErrRemoved: the removal also revokes the
// node's credentials, so the connection may close (or a request fail)
// before the session reads the leave.
func (a *Agent) sessionEnd(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	select {
	case reason := <-a.left:
		return a.removed(reason)
	default:
	}
	return err
}

// removed is the session's end after the server removed the node.
func (a *Agent) removed(reason string) error {
	return fmt.Errorf("node %s: %w: %s", a.cfg.Name, ErrRemoved, reason)
}

// register sends a RegisterRequest until the server answers, and returns
// the heartbeat interval. Refused credentials are fatal; anything else is
// retried with backoff.
func (a *Agent) register(ctx context.Context) (time.Duration, error) {
	// A reconnect that happened before this registration is covered by it.
	select {
	case <-a.reregister:
	default:
	}
	backoff := reconnectWait
	for {
		req := api.RegisterRequest{
			Name:     a.cfg.Name,
			Instance: a.instance,
			Facts:    collectFacts(a.cfg),
			Running:  a.Running(),
		}
		var reply api.RegisterReply
		err := a.request(ctx, api.SubjectRegister(a.cfg.Name), req, &reply)
		if err == nil && reply.Error != nil {
			switch reply.Error.Code {
			case api.CodeBadToken:
				return 0, fmt.Errorf("node %s: %w: %w", a.cfg.Name, ErrBadToken, reply.Error)
			case api.CodeForbidden:
				return 0, fmt.Errorf("node %s: the server refused the registration: %w", a.cfg.Name, reply.Error)
			}
			err = reply.Error
		}
		if err == nil {
			a.log.Info("registered", "node_id", reply.NodeID, "running", len(req.Running))
			a.killAttempts(reply.Kill)
			if reply.HeartbeatInterval <= 0 {
				return defaultHeartbeat, nil
			}
			return time.Duration(reply.HeartbeatInterval), nil
		}
		a.log.Warn("registration failed; retrying", "err", err, "in", backoff)
		select {
		case <-a.closed:
			return 0, a.closedError()
		default:
		}
		if !sleepCtx(ctx, backoff) {
			return 0, ctx.Err()
		}
		backoff = nextBackoff(backoff)
	}
}

// heartbeat sends the node's state once. A lost heartbeat is not an error
// (the next tick tries again); only refused credentials are.
func (a *Agent) heartbeat(ctx context.Context) error {
	a.hbSeq++
	_, free := readMeminfo(procMeminfo)
	now := time.Now()
	hb := api.Heartbeat{
		Name:       a.cfg.Name,
		Instance:   a.instance,
		Seq:        a.hbSeq,
		MemoryFree: free,
		Load1:      readLoad1(procLoadavg),
		DiskFree:   diskFree(a.cfg.WorkDir),
		Running:    a.Running(),
		Owner:      a.readOwner(now),
		Suspended:  a.isSuspended(),
	}
	var reply api.HeartbeatReply
	if err := a.request(ctx, api.SubjectHeartbeat(a.cfg.Name), hb, &reply); err != nil {
		if ctx.Err() == nil {
			a.log.Debug("heartbeat not answered", "seq", hb.Seq, "err", err)
		}
		return nil
	}
	if reply.Error != nil {
		switch reply.Error.Code {
		case api.CodeBadToken:
			return fmt.Errorf("node %s: %w: %w", a.cfg.Name, ErrBadToken, reply.Error)
		case api.CodeForbidden:
			return fmt.Errorf("node %s: the server refused the heartbeat: %w", a.cfg.Name, reply.Error)
		}
		a.log.Warn("heartbeat refused", "err", reply.Error)
	}
	a.killAttempts(reply.Kill)
	if reply.Reregister {
		a.log.Info("server asked to register again")
		a.askReregister()
	}
	return nil
}
