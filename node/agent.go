package node

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
)

// ErrBadToken means the server refused this node's credentials (its
// secret, or the enrollment token of a join). It is permanent: retrying
// with the same credentials cannot succeed.
var ErrBadToken = errors.New("the server refused the node's credentials (if the node was removed or its credentials revoked, delete the credentials file and join again with a new enrollment token)")

// ErrRemoved is returned by Run when an admin removed the node from the
// grid (`shrike node rm`): its tasks were killed and the agent should exit.
var ErrRemoved = errors.New("removed from the grid")

// shutdownFlushTimeout bounds the last outbox flush when the agent stops.
const shutdownFlushTimeout = time.Second

// Agent is a node agent: it registers with the server, heartbeats its full
// state, runs the task attempts the server starts and reports their results
// through an on-disk outbox. Create it with New and call Run once.
type Agent struct {
	cfg      Config
	log      *slog.Logger
	instance string
	agentID  string   // the work dir's id, in every task's environment (orphan reaping)
	baseEnv  []string // the environment tasks start from: no secrets
	tasksDir string
	logsDir  string
	outbox   *outbox

	started    atomic.Bool
	nc         *nats.Conn    // set by Run before any subscription exists
	reregister chan struct{} // size 1: register again soon (after a reconnect)
	left       chan string   // size 1: the server removed this node (the reason)
	closed     chan struct{} // closed when the NATS connection is closed for good
	closeOnce  sync.Once
	hbSeq      uint64 // heartbeat sequence, session goroutine only
	attempts   sync.WaitGroup

	// mu guards running, closing and suspended. Lock order: mu before
	// outbox.mu; attempt.mu is never taken while holding mu.
	mu        sync.Mutex
	running   map[api.TaskKey]*attempt
	closing   bool
	suspended bool // the server suspended the node's tasks (SuspendRequest)

	ownerErr string // the last owner-reading error logged, session goroutine only
}

// New checks cfg, fills in its defaults, kills the tasks an earlier run of
// this node left running (see reapOrphans), prepares the work directory
// (tasks/, logs/, outbox/) and loads the results an earlier run left in the
// outbox.
func New(cfg Config) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("node config: %w", err)
	}
	cfg = cfg.withDefaults()
	if err := api.ValidateNodeName(cfg.Name); err != nil {
		return nil, fmt.Errorf("node config: %w (set --name)", err)
	}
	work, err := filepath.Abs(cfg.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("node config: work directory: %w", err)
	}
	cfg.WorkDir = work
	a := &Agent{
		cfg:        cfg,
		log:        cfg.Logger.With("node", cfg.Name),
		instance:   newInstanceID(),
		baseEnv:    withShrikeBin(taskBaseEnv(os.Environ()), cfg.ShrikeBin),
		tasksDir:   filepath.Join(work, "tasks"),
		logsDir:    filepath.Join(work, "logs"),
		reregister: make(chan struct{}, 1),
		left:       make(chan string, 1),
		closed:     make(chan struct{}),
		running:    make(map[api.TaskKey]*attempt),
	}
	if tc, ok := cfg.OwnerSource.(taskCounter); ok {
		tc.bindTasks(a.activeAttempts)
	}
	for _, d := range []string{a.tasksDir, a.logsDir} {
		if mkErr := os.MkdirAll(d, 0o700); mkErr != nil {
			return nil, fmt.Errorf("node work directory: %w", mkErr)
		}
	}
	// Tasks an earlier run of this node left running (the agent was
	// killed) are retried elsewhere by the server: kill them before their
	// work dirs go.
	if a.agentID, err = loadAgentID(work); err != nil {
		return nil, fmt.Errorf("node work directory: %w", err)
	}
	reapOrphans(procRoot, a.agentID, a.log)
	if !cfg.KeepWorkDirs {
		a.removeStaleWorkDirs()
	}
	a.outbox, err = openOutbox(filepath.Join(work, "outbox"), a.log)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// newInstanceID identifies one agent incarnation, so the server can tell a
// restarted agent from a repeated message.
func newInstanceID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Name is the node's name (Config.Name or the sanitised host name).
func (a *Agent) Name() string { return a.cfg.Name }

// Run connects to the server, registers, heartbeats and serves commands
// until ctx is cancelled, then kills the running tasks (without reporting
// them: the server treats them as lost), flushes the outbox briefly and
// disconnects. It returns nil on cancellation, and an error wrapping
// ErrBadToken if the server refuses the node's credentials.
func (a *Agent) Run(ctx context.Context) error {
	if !a.started.CompareAndSwap(false, true) {
		return errors.New("node: Run may be called only once per Agent")
	}
	nc, err := a.connect(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	a.nc = nc
	defer nc.Close()
	sub, err := nc.Subscribe(api.SubjectCommand(a.cfg.Name), a.handleCommand)
	if err != nil {
		return fmt.Errorf("node: subscribe to commands: %w", err)
	}

	bgCtx, stopBg := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	bg.Go(func() { a.outbox.Run(bgCtx, a.sendReport, a.cfg.OutboxRetry) })
	bg.Go(func() { a.cleanLogsLoop(bgCtx) })

	a.log.Info("node agent started", "server", a.cfg.ServerURL, "instance", a.instance, "work_dir", a.cfg.WorkDir)
	runErr := a.session(ctx)

	a.stopAttempts()
	_ = sub.Unsubscribe()
	stopBg()
	bg.Wait()
	if a.outbox.Len() > 0 && !nc.IsClosed() {
		fctx, cancel := context.WithTimeout(context.Background(), shutdownFlushTimeout)
		if err := a.outbox.Flush(fctx, a.sendReport); err != nil {
			a.log.Info("results not yet acknowledged stay in the outbox", "pending", a.outbox.Len(), "err", err)
		}
		cancel()
	}
	a.outbox.close()
	a.log.Info("node agent stopped")
	return runErr
}

// stopAttempts refuses new starts, kills every running attempt without a
// result and waits for them to end (bounded by their kill grace).
func (a *Agent) stopAttempts() {
	a.mu.Lock()
	a.closing = true
	atts := make([]*attempt, 0, len(a.running))
	for _, at := range a.running {
		atts = append(atts, at)
	}
	a.mu.Unlock()
	for _, at := range atts {
		at.stop(api.OutcomeKilled, true)
	}
	done := make(chan struct{})
	go func() {
		a.attempts.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(a.cfg.KillGrace + 2*time.Second):
		a.log.Warn("some tasks did not end after SIGKILL")
	}
}

// Running lists the attempts this node still runs or holds an
// unacknowledged result for, ordered by task id and attempt. It is the set
// reported in registrations and heartbeats.
func (a *Agent) Running() []api.TaskRef {
	a.mu.Lock()
	refs := make([]api.TaskRef, 0, len(a.running))
	seen := make(map[api.TaskKey]bool, len(a.running))
	for k, at := range a.running {
		refs = append(refs, at.ref)
		seen[k] = true
	}
	a.mu.Unlock()
	// An attempt enters the outbox before it leaves running, so reading
	// running first misses nothing.
	for _, r := range a.outbox.Refs() {
		if !seen[r.Key()] {
			refs = append(refs, r)
		}
	}
	slices.SortFunc(refs, func(x, y api.TaskRef) int {
		return cmp.Or(cmp.Compare(x.TaskID, y.TaskID), cmp.Compare(x.Attempt, y.Attempt))
	})
	return refs
}

// killAttempts stops the listed attempts that still run, with outcome
// killed. Unknown attempts are ignored. It returns those it found.
func (a *Agent) killAttempts(refs []api.TaskRef) []api.TaskRef {
	var found []api.TaskRef
	for _, ref := range refs {
		a.mu.Lock()
		at := a.running[ref.Key()]
		a.mu.Unlock()
		if at != nil {
			at.stop(api.OutcomeKilled, false)
			found = append(found, at.ref)
		}
	}
	return found
}
