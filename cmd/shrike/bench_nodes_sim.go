package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/sync/errgroup"

	"github.com/shrike-grid/shrike/api"
)

// simFleet is the simulated nodes and their shared counters.
type simFleet struct {
	o          benchNodesOptions
	url, token string
	// secrets are the nodes' own NATS secrets (from joins); a node without
	// one presents token.
	secrets   map[string]string
	runID     string
	nodes     []*simNode
	ctx       context.Context // ends the nodes' loops
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once

	connectLat, registerLat, hbLat *latencies
	window                         atomic.Bool // failures are counted only in the window

	connectRetries, registerRetries atomic.Int64
	hbFailed, hbTimedOut            atomic.Int64
	hbFailedAll                     atomic.Int64 // also outside the window
	reregisters, disconnects        atomic.Int64
	asyncErrors                     atomic.Int64
	started, acked, reportFailures  atomic.Int64
}

func newSimFleet(o benchNodesOptions, url, token string) *simFleet {
	ctx, cancel := context.WithCancel(context.Background())
	return &simFleet{
		o: o, url: url, token: token, runID: strconv.FormatUint(rand.Uint64(), 36), ctx: ctx, cancel: cancel,
		connectLat: newLatencies(true), registerLat: newLatencies(true), hbLat: newLatencies(false),
	}
}

func (f *simFleet) startWindow() {
	f.hbFailed.Store(0)
	f.hbTimedOut.Store(0)
	f.reregisters.Store(0)
	f.disconnects.Store(0)
	f.asyncErrors.Store(0)
	f.window.Store(true)
	f.hbLat.set(true)
}

func (f *simFleet) stopWindow() {
	f.window.Store(false)
	f.hbLat.set(false)
}

// connectAll connects and registers every node, o.concurrency at a time,
// and starts each node's loop as soon as it is registered (with a random
// phase, so the heartbeat load ramps up with the nodes).
// names are the simulated nodes' names.
func (f *simFleet) names() []string {
	out := make([]string, f.o.nodes)
	for i := range out {
		out[i] = nodeName(f.o.prefix, i+1)
	}
	return out
}

func (f *simFleet) secretOf(name string) string {
	if s, ok := f.secrets[name]; ok {
		return s
	}
	return f.token
}

func (f *simFleet) connectAll(logf func(string, ...any)) error {
	f.nodes = make([]*simNode, f.o.nodes)
	for i := range f.nodes {
		f.nodes[i] = &simNode{
			f: f, name: nodeName(f.o.prefix, i+1), instance: fmt.Sprintf("%s-%d", f.runID, i+1),
			running: map[api.TaskKey]*simAttempt{}, results: map[api.TaskKey]api.TaskResult{},
			kick: make(chan struct{}, 1), rereg: make(chan struct{}, 1),
		}
	}
	g, gctx := errgroup.WithContext(f.ctx)
	g.SetLimit(f.o.concurrency)
	var done atomic.Int64
	step := max(f.o.nodes/10, 1)
	for _, n := range f.nodes {
		g.Go(func() error {
			if err := n.connect(gctx); err != nil {
				return err
			}
			if err := n.register(gctx, true); err != nil {
				return err
			}
			f.wg.Go(func() { n.loop(f.ctx) })
			if d := done.Add(1); d%int64(step) == 0 {
				logf("  %d/%d registered", d, f.o.nodes)
			}
			return nil
		})
	}
	return g.Wait()
}

// close stops every node's loop and closes the connections.
func (f *simFleet) close() {
	f.closeOnce.Do(func() {
		f.cancel()
		f.wg.Wait()
		var g errgroup.Group
		g.SetLimit(64)
		for _, n := range f.nodes {
			if n != nil && n.nc != nil {
				g.Go(func() error { n.nc.Close(); return nil })
			}
		}
		_ = g.Wait()
	})
}

// simNode is one simulated node: its connection, a fake executor, and the
// results it has not had acknowledged yet.
type simNode struct {
	f              *simFleet
	name, instance string
	nc             *nats.Conn
	seq            uint64

	mu      sync.Mutex
	running map[api.TaskKey]*simAttempt
	results map[api.TaskKey]api.TaskResult // awaiting acknowledgement

	kick  chan struct{} // results to report
	rereg chan struct{} // register again (reconnected)
}

// simAttempt is an attempt the fake executor "runs".
type simAttempt struct {
	ref     api.TaskRef
	started time.Time
	timer   *time.Timer
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// connect opens the node's own connection and subscribes to its commands.
func (n *simNode) connect(ctx context.Context) error {
	f := n.f
	opts := []nats.Option{
		nats.Name("shrike-bench-node " + n.name),
		nats.UserInfo(n.name, f.secretOf(n.name)),
		nats.CustomInboxPrefix(api.InboxPrefix(n.name)),
		nats.Timeout(10 * time.Second),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, 250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil && f.window.Load() {
				f.disconnects.Add(1)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { notify(n.rereg) }),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {
			if f.window.Load() {
				f.asyncErrors.Add(1)
			}
		}),
	}
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		t0 := time.Now()
		nc, err := nats.Connect(f.url, opts...)
		if err == nil {
			f.connectLat.add(time.Since(t0))
			n.nc = nc
			break
		}
		if errors.Is(err, nats.ErrAuthorization) || attempt == 10 {
			return fmt.Errorf("node %s cannot connect (attempt %d): %w", n.name, attempt, err)
		}
		f.connectRetries.Add(1)
		if !sleepFor(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(2*backoff, 2*time.Second)
	}
	if _, err := n.nc.Subscribe(api.SubjectCommand(n.name), n.handleCommand); err != nil {
		return fmt.Errorf("node %s: subscribe to commands: %w", n.name, err)
	}
	return nil
}

func sleepFor(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// request sends req as JSON and decodes the reply.
func (n *simNode) request(ctx context.Context, subject string, req, reply any) error {
	data, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, simRequestTimeout)
	defer cancel()
	msg, err := n.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		return err
	}
	return json.Unmarshal(msg.Data, reply)
}

// refs lists what the node runs or holds unacknowledged results for.
func (n *simNode) refs() []api.TaskRef {
	n.mu.Lock()
	defer n.mu.Unlock()
	refs := make([]api.TaskRef, 0, len(n.running)+len(n.results))
	for _, a := range n.running {
		refs = append(refs, a.ref)
	}
	for _, r := range n.results {
		refs = append(refs, r.TaskRef)
	}
	return refs
}

// register sends RegisterRequests until one is answered without error.
func (n *simNode) register(ctx context.Context, first bool) error {
	f := n.f
	backoff := 250 * time.Millisecond
	for {
		req := api.RegisterRequest{
			Name: n.name, Instance: n.instance, Running: n.refs(),
			Facts: api.NodeFacts{
				Hostname: n.name + ".bench", OS: "linux", Arch: "amd64", CPUs: 8, Slots: 8,
				MemoryTotal: 32 << 30, MemoryFree: 28 << 30, Load1: 0.1,
				Tags: []string{"bench", "simulated"}, Version: api.Version,
			},
		}
		var reply api.RegisterReply
		t0 := time.Now()
		err := n.request(ctx, api.SubjectRegister(n.name), req, &reply)
		if err == nil && reply.Error != nil {
			if reply.Error.Code == api.CodeForbidden || reply.Error.Code == api.CodeBadToken {
				return fmt.Errorf("node %s: registration refused: %w", n.name, reply.Error)
			}
			err = reply.Error
		}
		if err == nil {
			if first {
				f.registerLat.add(time.Since(t0))
			}
			n.kill(reply.Kill)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.registerRetries.Add(1)
		if !sleepFor(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// loop heartbeats every interval (first after a random phase), registers
// again when asked, and reports results, until ctx ends.
func (n *simNode) loop(ctx context.Context) {
	interval := n.f.o.interval
	next := time.Now().Add(rand.N(interval))
	t := time.NewTimer(time.Until(next))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.rereg:
			_ = n.register(ctx, false)
		case <-n.kick:
			n.report(ctx)
		case <-t.C:
			n.heartbeat(ctx)
			next = nextTick(next, interval, time.Now())
			t.Reset(time.Until(next))
		}
	}
}

// nextTick is the first tick after now on the schedule prev + k·interval,
// skipping ticks that a slow heartbeat overran (like a time.Ticker).
func nextTick(prev time.Time, interval time.Duration, now time.Time) time.Time {
	next := prev.Add(interval)
	if !next.After(now) {
		next = next.Add((now.Sub(next)/interval + 1) * interval)
	}
	return next
}

// heartbeat sends one heartbeat and acts on the reply.
func (n *simNode) heartbeat(ctx context.Context) {
	f := n.f
	n.seq++
	hb := api.Heartbeat{Name: n.name, Instance: n.instance, Seq: n.seq, MemoryFree: 28 << 30, Load1: 0.1, Running: n.refs()}
	var reply api.HeartbeatReply
	t0 := time.Now()
	err := n.request(ctx, api.SubjectHeartbeat(n.name), hb, &reply)
	if ctx.Err() != nil {
		return
	}
	if err == nil && reply.Error != nil {
		err = reply.Error
	}
	if err != nil {
		f.hbFailedAll.Add(1)
		if f.window.Load() {
			f.hbFailed.Add(1)
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
				f.hbTimedOut.Add(1)
			}
		}
		return
	}
	f.hbLat.add(time.Since(t0))
	n.kill(reply.Kill)
	if reply.Reregister {
		if f.window.Load() {
			f.reregisters.Add(1)
		}
		_ = n.register(ctx, false)
	}
}
