package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	natsd "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"golang.org/x/sync/errgroup"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/rm"
	"github.com/shrike-grid/shrike/scheduler"
	"github.com/shrike-grid/shrike/store"
)

// Server is a running Shrike server. New prepares everything that can fail
// (data dir, store, NATS, listeners) so that errors surface before Run.
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    store.Store
	commit   *store.Committer
	ns       *natsd.Server
	nc       *nats.Conn
	httpLn   net.Listener
	logs     *logStore
	sessions sessions
	now      func() time.Time

	nodeToken    string
	adminCreated bool
	auth         *nodeAuth
	sel          *selector
	spaces       *dataspace.Store
	transferKey  []byte

	// schedMu serializes SetScheduler (taken before mu).
	schedMu sync.Mutex
	// tree links sub-jobs to their parents (subjobs.go; its own lock).
	tree jobTree

	mu       sync.Mutex // guards everything below
	jobs     map[int64]*jobState
	tasks    map[int64]*taskState
	ready    readyQueue
	reg      *rm.Registry
	removed  map[string]string // node name → agent instance that was removed
	nextJob  int64
	nextTask int64
	// sources, enroll (enrollment tokens by ID) and creds (node
	// credentials by node) mirror the store.
	sources map[string]*source
	enroll  map[string]store.EnrollTokenRecord
	creds   map[string]store.CredentialRecord
	// userGroups caches each user's groups for access checks.
	userGroups map[string][]string
	// snapNodes are the nodes of the latest snapshot, in its order, and
	// selLayout the registry's layout then.
	snapNodes []*rm.Node
	snapBuf   []scheduler.Node
	selRefs   []selRef
	selLayout uint64
	// sched is the scheduler's lifecycle state (scheduler_state.go).
	sched api.SchedulerStatus
	// jobWaiters lists, by job, the jobs whose depends_on_jobs wait for
	// it (jobdeps.go).
	jobWaiters map[int64][]int64
	// queues is the queue configuration with its defaults (queues.go);
	// it never changes while the server runs.
	queues []QueueConfig
	// fair is the decayed usage per queue and user (fairshare.go);
	// running indexes the RUNNING attempts by task (running.go), and
	// runBuf is the snapshot's table of them, reused.
	fair    *scheduler.FairShare
	running map[int64]*runningAttempt
	runBuf  []scheduler.Running

	wake       chan struct{}
	sourceWake chan struct{}
	fatal      chan error
}

var _ rest.Backend = (*Server)(nil)

// New opens the data dir, store and NATS server and rebuilds the in-memory
// state from the store.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	sel, err := newSelector(cfg.SelectionBackoff)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: log, now: time.Now, sel: sel,
		jobs: make(map[int64]*jobState), tasks: make(map[int64]*taskState),
		reg: rm.NewRegistry(), removed: make(map[string]string), wake: make(chan struct{}, 1), fatal: make(chan error, 1),
		sources: make(map[string]*source), enroll: make(map[string]store.EnrollTokenRecord),
		creds: make(map[string]store.CredentialRecord), userGroups: make(map[string][]string),
		sourceWake: make(chan struct{}, 1), jobWaiters: make(map[int64][]int64),
		queues: cfg.effectiveQueues(), running: make(map[int64]*runningAttempt),
	}
	if err := s.open(); err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

func (s *Server) open() error {
	dbPath := filepath.Join(s.cfg.DataDir, "shrike.db")
	// Create the database private: SQLite gives its -wal and -shm files
	// the database file's mode.
	f, err := os.OpenFile(dbPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	_ = f.Close()
	s.store, err = store.OpenSQLite(dbPath, store.SQLiteOptions{Synchronous: strings.ToUpper(s.cfg.Synchronous), Logger: s.log})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.commit = store.NewCommitter(s.store, s.log)
	s.logs = newLogStore(filepath.Join(s.cfg.DataDir, "logs"))
	s.logs.fetch = s.fetchLog
	ctx := context.Background()
	if s.adminCreated, err = bootstrapAdmin(ctx, s.store, s.cfg.DataDir, s.now()); err != nil {
		return err
	}
	if s.nodeToken, _, err = loadOrCreateSecret(filepath.Join(s.cfg.DataDir, NodeTokenFile)); err != nil {
		return fmt.Errorf("node token: %w", err)
	}
	if err := s.openSpaces(); err != nil {
		return err
	}
	secret := randomToken(24)
	s.auth = &nodeAuth{internalSecret: secret}
	if err := s.loadSchedulerState(); err != nil {
		return err
	}
	if err := s.loadFairShare(); err != nil {
		return err
	}
	if err := s.load(ctx); err != nil {
		return fmt.Errorf("loading state: %w", err)
	}
	if err := s.loadSources(ctx); err != nil {
		return fmt.Errorf("loading node sources: %w", err)
	}
	if s.ns, err = startNATS(s.cfg.NATSListen, s.cfg.DataDir, s.auth); err != nil {
		return err
	}
	if s.nc, err = connectInternal(s.ns, secret); err != nil {
		return fmt.Errorf("nats: internal connection: %w", err)
	}
	if err := s.subscribe(); err != nil {
		return err
	}
	s.setupEvents()
	if s.httpLn, err = net.Listen("tcp", s.cfg.Listen); err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Listen, err)
	}
	return nil
}

// URL is the REST API's base URL (http://host:port).
func (s *Server) URL() string { return "http://" + s.httpLn.Addr().String() }

// NATSURL is the URL nodes connect to.
func (s *Server) NATSURL() string { return s.ns.ClientURL() }

// NodeToken is the reusable enrollment token of the default source (the
// node-token file): nodes trade it for their own credentials.
func (s *Server) NodeToken() string { return s.nodeToken }

// DataDir is where the server keeps its state.
func (s *Server) DataDir() string { return s.cfg.DataDir }

// AdminCreated reports whether this start created the admin user.
func (s *Server) AdminCreated() bool { return s.adminCreated }

// Run serves until ctx is cancelled or a service fails, then shuts down
// cleanly: the HTTP server stops, in-flight writes are committed, NATS and
// the store are closed.
func (s *Server) Run(ctx context.Context) error {
	defer s.closeAll()
	g, ctx := errgroup.WithContext(ctx)
	commitCtx, stopCommit := context.WithCancel(context.Background())
	defer stopCommit()
	commitDone := make(chan error, 1)
	go func() { commitDone <- s.commit.Run(commitCtx) }()

	httpSrv := &http.Server{Handler: rest.New(s, rest.Options{Logger: s.log}), ReadHeaderTimeout: 10 * time.Second}
	g.Go(func() error {
		if err := httpSrv.Serve(s.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error { return s.scheduleLoop(ctx) })
	g.Go(func() error { return s.livenessLoop(ctx) })
	g.Go(func() error { return s.sampleLoop(ctx) })
	g.Go(func() error { return s.sourceLoop(ctx) })
	g.Go(func() error { return s.sweepLoop(ctx) })
	g.Go(func() error { return s.fairShareLoop(ctx) })
	g.Go(func() error {
		select {
		case <-ctx.Done():
			return nil
		case err := <-s.fatal:
			return err
		}
	})
	g.Go(func() error {
		<-ctx.Done()
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := httpSrv.Shutdown(shutCtx); err != nil {
			// Requests still running after the grace period (a log
			// follower, a slow client) are cut: shutting down is not an error.
			s.log.Warn("closing HTTP connections that did not finish in time", "err", err)
			_ = httpSrv.Close()
		}
		return nil
	})
	s.log.Info("server running", "url", s.URL(), "nats", s.NATSURL(), "data_dir", s.cfg.DataDir)
	err := g.Wait()
	if s.nc != nil {
		_ = s.nc.Drain()
	}
	stopCommit()
	if cerr := <-commitDone; cerr != nil && !errors.Is(cerr, context.Canceled) && err == nil {
		err = cerr
	}
	return err
}

// closeAll releases whatever open() acquired.
func (s *Server) closeAll() {
	if s.httpLn != nil {
		_ = s.httpLn.Close()
	}
	if s.nc != nil {
		s.nc.Close()
	}
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
		s.ns = nil
	}
	if s.store != nil {
		_ = s.store.Close()
		s.store = nil
	}
}

// fail stops the server: memory and store may have diverged.
func (s *Server) fail(err error) {
	s.log.Error("fatal error, stopping", "err", err)
	select {
	case s.fatal <- err:
	default:
	}
}

// persist waits for m to be durable; a failed write is fatal.
func (s *Server) persist(m store.Mutation) error {
	if m.Empty() {
		return nil
	}
	if err := <-s.commit.Enqueue(m); err != nil {
		err = fmt.Errorf("store write failed: %w", err)
		s.fail(err)
		return err
	}
	return nil
}

// kick wakes the scheduling loop (coalesced).
func (s *Server) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// nodeFromSubject extracts <name> from shrike.node.<name>.<kind>.
func nodeFromSubject(subject string) string {
	parts := strings.Split(subject, ".")
	if len(parts) != 4 {
		return ""
	}
	return parts[2]
}

// errorReply is a NATS reply carrying only an error.
func errorReply(code api.Code, format string, args ...any) *api.Error {
	return api.Errorf(code, format, args...)
}
