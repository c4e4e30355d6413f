package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
)

// Reconnection timing. NATS reconnects by itself after the first
// connection; these also pace the first connection and registration.
const (
	reconnectWait   = 250 * time.Millisecond
	reconnectJitter = 250 * time.Millisecond
	maxBackoff      = 5 * time.Second
)

// connect dials the server until it answers, ctx is cancelled, or the
// server refuses the credentials (ErrBadToken).
func (a *Agent) connect(ctx context.Context) (*nats.Conn, error) {
	name := a.cfg.Name
	opts := []nats.Option{
		nats.Name("shrike-node " + name),
		nats.UserInfo(name, a.cfg.Token),
		nats.CustomInboxPrefix(api.InboxPrefix(name)),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.ReconnectJitter(reconnectJitter, reconnectJitter),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				a.log.Warn("disconnected from server; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			a.log.Info("reconnected to server", "url", nc.ConnectedUrlRedacted())
			a.askReregister()
		}),
		nats.ClosedHandler(func(*nats.Conn) {
			a.closeOnce.Do(func() { close(a.closed) })
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			a.log.Warn("nats error", "err", err)
		}),
	}
	backoff := reconnectWait
	for {
		nc, err := nats.Connect(a.cfg.ServerURL, opts...)
		if err == nil {
			return nc, nil
		}
		if isAuthError(err) {
			return nil, fmt.Errorf("node %s: %w", name, ErrBadToken)
		}
		a.log.Warn("cannot reach the server; retrying", "url", a.cfg.ServerURL, "err", err, "in", backoff)
		if !sleepCtx(ctx, backoff) {
			return nil, ctx.Err()
		}
		backoff = nextBackoff(backoff)
	}
}

// isAuthError reports whether err is NATS refusing our credentials.
func isAuthError(err error) bool {
	return errors.Is(err, nats.ErrAuthorization) ||
		errors.Is(err, nats.ErrAuthExpired) ||
		errors.Is(err, nats.ErrAuthRevoked)
}

// closedError explains why the connection closed for good.
func (a *Agent) closedError() error {
	if err := a.nc.LastError(); err != nil && isAuthError(err) {
		return fmt.Errorf("node %s: %w", a.cfg.Name, ErrBadToken)
	}
	return fmt.Errorf("node %s: connection to the server closed: %v", a.cfg.Name, a.nc.LastError())
}

// askReregister schedules a registration; repeated asks coalesce.
func (a *Agent) askReregister() {
	select {
	case a.reregister <- struct{}{}:
	default:
	}
}

// request sends req as JSON on subject and decodes the reply into reply,
// within the configured request timeout.
func (a *Agent) request(ctx context.Context, subject string, req, reply any) error {
	data, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.RequestTimeout)
	defer cancel()
	msg, err := a.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(msg.Data, reply); err != nil {
		return fmt.Errorf("bad reply on %s: %w", subject, err)
	}
	return nil
}

// sendReport sends one batch of results to the server.
func (a *Agent) sendReport(ctx context.Context, results []api.TaskResult) (api.ReportAck, error) {
	var ack api.ReportAck
	err := a.request(ctx, api.SubjectReport(a.cfg.Name), api.ReportBatch{Name: a.cfg.Name, Results: results}, &ack)
	return ack, err
}

// sleepCtx waits d with up to 25% jitter; it returns false if ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	d += time.Duration(rand.Int64N(int64(d)/4 + 1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func nextBackoff(d time.Duration) time.Duration {
	return min(2*d, maxBackoff)
}
