package node

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scripts"
)

// TestMain doubles as the Lua runner: tasks started with SHRIKE_TEST_LUA=1
// run this binary as `shrike node run-lua FILE` would.
func TestMain(m *testing.M) {
	if os.Getenv("SHRIKE_TEST_LUA") == "1" {
		os.Exit(scripts.RunTaskFile(os.Args[len(os.Args)-1]))
	}
	os.Exit(m.Run())
}

// Test timing: millisecond intervals so the package runs in seconds.
const (
	testHeartbeat = 50 * time.Millisecond
	testWait      = 10 * time.Second
)

// startNATS runs an embedded NATS server on a random port.
func startNATS(t *testing.T, opts *natsserver.Options) *natsserver.Server {
	t.Helper()
	if opts == nil {
		opts = &natsserver.Options{}
	}
	opts.Host = "127.0.0.1"
	if opts.Port == 0 {
		opts.Port = -1
	}
	opts.NoLog, opts.NoSigs = true, true
	s, err := natsserver.NewServer(opts)
	if err != nil {
		t.Fatalf("nats server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(s.Shutdown)
	return s
}

// fakeServer is the server side of the node protocol, just enough to drive
// an agent: it answers registrations, heartbeats and reports, and collects
// what the node sends.
type fakeServer struct {
	t  *testing.T
	nc *nats.Conn

	mu              sync.Mutex
	registers       []api.RegisterRequest
	heartbeats      []api.Heartbeat
	reportTries     int
	results         map[api.TaskKey][]api.TaskResult // every acknowledged delivery
	logs            map[api.TaskKey][]byte
	logEOF          map[api.TaskKey]bool
	ack             bool       // answer reports (false: stay silent, like a server that is down)
	registerError   *api.Error // answer registrations with this error
	reregisterNext  bool       // ask for a new registration in the next heartbeat reply
	killOnHeartbeat []api.TaskRef
}

func newFakeServer(t *testing.T, url string) *fakeServer {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatalf("fake server connect: %v", err)
	}
	t.Cleanup(nc.Close)
	fs := &fakeServer{
		t: t, nc: nc, ack: true,
		results: make(map[api.TaskKey][]api.TaskResult),
		logs:    make(map[api.TaskKey][]byte),
		logEOF:  make(map[api.TaskKey]bool),
	}
	// One subscription for the node subjects, so messages are handled in
	// the order the node sent them (logs before the result).
	fs.subscribe(api.SubjectNodeWildcard, func(m *nats.Msg) {
		switch {
		case strings.HasSuffix(m.Subject, ".register"):
			fs.onRegister(m)
		case strings.HasSuffix(m.Subject, ".heartbeat"):
			fs.onHeartbeat(m)
		case strings.HasSuffix(m.Subject, ".report"):
			fs.onReport(m)
		case strings.HasSuffix(m.Subject, ".log"):
			fs.onLog(m)
		}
	})
	if err := nc.Flush(); err != nil {
		t.Fatalf("fake server flush: %v", err)
	}
	return fs
}

func (fs *fakeServer) subscribe(subject string, h nats.MsgHandler) {
	if _, err := fs.nc.Subscribe(subject, h); err != nil {
		fs.t.Fatalf("fake server subscribe %s: %v", subject, err)
	}
}

func (fs *fakeServer) respond(m *nats.Msg, v any) {
	data, _ := json.Marshal(v)
	_ = m.Respond(data)
}

func (fs *fakeServer) onRegister(m *nats.Msg) {
	var req api.RegisterRequest
	if err := json.Unmarshal(m.Data, &req); err != nil {
		fs.t.Errorf("bad register request: %v", err)
		return
	}
	fs.mu.Lock()
	fs.registers = append(fs.registers, req)
	reply := api.RegisterReply{NodeID: "id-" + req.Name, HeartbeatInterval: api.Duration(testHeartbeat), Error: fs.registerError}
	fs.mu.Unlock()
	fs.respond(m, reply)
}

func (fs *fakeServer) onHeartbeat(m *nats.Msg) {
	var hb api.Heartbeat
	if err := json.Unmarshal(m.Data, &hb); err != nil {
		fs.t.Errorf("bad heartbeat: %v", err)
		return
	}
	fs.mu.Lock()
	fs.heartbeats = append(fs.heartbeats, hb)
	reply := api.HeartbeatReply{Reregister: fs.reregisterNext, Kill: fs.killOnHeartbeat}
	fs.reregisterNext = false
	fs.mu.Unlock()
	fs.respond(m, reply)
}

func (fs *fakeServer) onReport(m *nats.Msg) {
	var b api.ReportBatch
	if err := json.Unmarshal(m.Data, &b); err != nil {
		fs.t.Errorf("bad report: %v", err)
		return
	}
	fs.mu.Lock()
	fs.reportTries++
	ack := fs.ack
	var reply api.ReportAck
	if ack {
		for _, r := range b.Results {
			fs.results[r.Key()] = append(fs.results[r.Key()], r)
			reply.Acked = append(reply.Acked, r.TaskRef)
		}
	}
	fs.mu.Unlock()
	if ack {
		fs.respond(m, reply)
	}
}

func (fs *fakeServer) onLog(m *nats.Msg) {
	var c api.LogChunk
	if err := json.Unmarshal(m.Data, &c); err != nil {
		fs.t.Errorf("bad log chunk: %v", err)
		return
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	buf := fs.logs[c.Key()]
	if end := c.Offset + int64(len(c.Data)); int64(len(buf)) < end {
		buf = append(buf, make([]byte, end-int64(len(buf)))...)
	}
	copy(buf[c.Offset:], c.Data)
	fs.logs[c.Key()] = buf
	if c.EOF {
		fs.logEOF[c.Key()] = true
	}
}

func (fs *fakeServer) setAck(on bool) {
	fs.mu.Lock()
	fs.ack = on
	fs.mu.Unlock()
}

func (fs *fakeServer) registrations() []api.RegisterRequest {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]api.RegisterRequest(nil), fs.registers...)
}

func (fs *fakeServer) heartbeatList() []api.Heartbeat {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]api.Heartbeat(nil), fs.heartbeats...)
}

func (fs *fakeServer) reportAttempts() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.reportTries
}

// deliveries returns the acknowledged results of attempt k.
func (fs *fakeServer) deliveries(k api.TaskKey) []api.TaskResult {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]api.TaskResult(nil), fs.results[k]...)
}

// streamedLog returns the log of k assembled from chunks, and whether the
// EOF chunk arrived.
func (fs *fakeServer) streamedLog(k api.TaskKey) (string, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return string(fs.logs[k]), fs.logEOF[k]
}

// waitResult waits for the first acknowledged result of k.
func (fs *fakeServer) waitResult(t *testing.T, k api.TaskKey) api.TaskResult {
	t.Helper()
	var res []api.TaskResult
	waitFor(t, "result of task "+strconv.FormatInt(k.TaskID, 10), func() bool {
		res = fs.deliveries(k)
		return len(res) > 0
	})
	return res[0]
}

// command sends cmd to node and returns its reply.
func (fs *fakeServer) command(t *testing.T, node string, cmd api.Command) api.CommandReply {
	t.Helper()
	data, _ := json.Marshal(cmd)
	msg, err := fs.nc.Request(api.SubjectCommand(node), data, 5*time.Second)
	if err != nil {
		t.Fatalf("command to %s: %v", node, err)
	}
	var reply api.CommandReply
	if err := json.Unmarshal(msg.Data, &reply); err != nil {
		t.Fatalf("command reply: %v", err)
	}
	return reply
}

// start asks node to start tasks and fails unless all are accepted.
func (fs *fakeServer) start(t *testing.T, node string, tasks ...api.StartTask) {
	t.Helper()
	reply := fs.command(t, node, api.Command{Start: &api.StartRequest{Tasks: tasks}})
	if len(reply.Rejected) > 0 || reply.Error != nil || len(reply.Accepted) != len(tasks) {
		t.Fatalf("start: accepted %v, rejected %v, error %v", reply.Accepted, reply.Rejected, reply.Error)
	}
}

// testConfig is a Config with millisecond intervals.
func testConfig(t *testing.T, url, name string) Config {
	t.Helper()
	exe, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	return Config{
		ServerURL:       url,
		Token:           "test-token",
		Name:            name,
		CPUs:            3,
		Slots:           2,
		Tags:            []string{"test", "linux"},
		WorkDir:         t.TempDir(),
		KillGrace:       300 * time.Millisecond,
		LogPollInterval: 20 * time.Millisecond,
		OutboxRetry:     50 * time.Millisecond,
		RequestTimeout:  300 * time.Millisecond,
		LuaRunner:       []string{exe},
	}
}

// runningAgent is an agent whose Run goroutine the test controls.
type runningAgent struct {
	*Agent
	cancel context.CancelFunc
	done   chan error
}

// startAgent creates and runs an agent; the test's cleanup stops it.
func startAgent(t *testing.T, cfg Config) *runningAgent {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ra := &runningAgent{Agent: a, cancel: cancel, done: make(chan error, 1)}
	go func() { ra.done <- a.Run(ctx) }()
	t.Cleanup(func() { ra.stop(t) })
	return ra
}

// stop cancels the agent and waits for Run to return; it may be called
// more than once.
func (ra *runningAgent) stop(t *testing.T) error {
	t.Helper()
	ra.cancel()
	select {
	case err, ok := <-ra.done:
		if ok {
			close(ra.done)
		}
		return err
	case <-time.After(testWait):
		t.Fatal("agent did not stop")
		return nil
	}
}

// waitRegistered waits until fs has seen a registration from the agent.
func waitRegistered(t *testing.T, fs *fakeServer, n int) {
	t.Helper()
	waitFor(t, "registration", func() bool { return len(fs.registrations()) >= n })
}

// waitFor polls cond until it holds or testWait passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// task builds a StartTask for a shell script.
func task(id int64, script string) api.StartTask {
	return api.StartTask{
		TaskRef: api.TaskRef{TaskID: id, Attempt: 1, JobID: 7, Task: "t" + strconv.FormatInt(id, 10)},
		JobName: "job",
		Script:  script,
	}
}

// groupAlive reports whether any live (non-zombie) process remains in
// process group pgid. Orphans are reparented to PID 1; where PID 1 does not
// reap them (some containers), they linger as zombies, which are dead.
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...: comm may hold spaces, so cut at
		// the last ')'.
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 3 || fields[0] == "Z" {
			continue
		}
		if g, _ := strconv.Atoi(fields[2]); g == pgid {
			return true
		}
	}
	return false
}
