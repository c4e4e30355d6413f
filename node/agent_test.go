package node

import (
	"context"
	"errors"
	"net"
	"runtime"
	"slices"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/shrike-grid/shrike/api"
)

func TestRegisterAndHeartbeat(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	ra := startAgent(t, testConfig(t, s.ClientURL(), "reg1"))

	waitRegistered(t, fs, 1)
	reg := fs.registrations()[0]
	if reg.Name != "reg1" || reg.Instance == "" {
		t.Errorf("register name %q instance %q, want reg1 and an instance id", reg.Name, reg.Instance)
	}
	f := reg.Facts
	if f.CPUs != 3 || f.Slots != 2 || f.OS != runtime.GOOS || f.Arch != runtime.GOARCH || f.Version != api.Version {
		t.Errorf("facts = %+v", f)
	}
	if f.Hostname == "" || f.MemoryTotal <= 0 || !slices.Equal(f.Tags, []string{"test", "linux"}) {
		t.Errorf("facts = %+v, want hostname, memory and tags", f)
	}
	if len(reg.Running) != 0 {
		t.Errorf("running at first registration = %v, want none", reg.Running)
	}

	waitFor(t, "two heartbeats", func() bool { return len(fs.heartbeatList()) >= 2 })
	hbs := fs.heartbeatList()
	if hbs[0].Instance != reg.Instance || hbs[1].Seq <= hbs[0].Seq || hbs[0].Name != "reg1" {
		t.Errorf("heartbeats = %+v, want instance %s and rising seq", hbs[:2], reg.Instance)
	}

	// A running task shows up in the heartbeats.
	fs.start(t, "reg1", task(1, "sleep 5"))
	waitFor(t, "heartbeat with the running task", func() bool {
		hbs := fs.heartbeatList()
		last := hbs[len(hbs)-1]
		return len(last.Running) == 1 && last.Running[0].TaskID == 1 && last.Running[0].Attempt == 1
	})
	if got := ra.Running(); len(got) != 1 || got[0].Task != "t1" {
		t.Errorf("Running() = %v, want task t1", got)
	}
}

func TestReregisterOnRequest(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	startAgent(t, testConfig(t, s.ClientURL(), "rereg"))
	waitRegistered(t, fs, 1)

	fs.mu.Lock()
	fs.reregisterNext = true
	fs.mu.Unlock()
	waitRegistered(t, fs, 2)
	regs := fs.registrations()
	if regs[0].Instance != regs[1].Instance {
		t.Errorf("instances %s and %s, want the same agent instance", regs[0].Instance, regs[1].Instance)
	}
}

func TestReconnectRegistersAgain(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	startAgent(t, testConfig(t, s.ClientURL(), "recon"))
	waitRegistered(t, fs, 1)

	// Restart the NATS server on the same port.
	port := s.Addr().(*net.TCPAddr).Port
	s.Shutdown()
	s.WaitForShutdown()
	startNATS(t, &natsserver.Options{Port: port})
	waitRegistered(t, fs, 2)
}

func TestBadTokenAtConnect(t *testing.T) {
	t.Parallel()
	s := startNATS(t, &natsserver.Options{Username: "badtok", Password: "right"})
	cfg := testConfig(t, s.ClientURL(), "badtok")
	cfg.Token = "wrong"
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	start := time.Now()
	err = a.Run(ctx)
	if !errors.Is(err, ErrBadToken) {
		t.Fatalf("Run = %v, want ErrBadToken", err)
	}
	if d := time.Since(start); d > 20*time.Second { // it must not retry forever
		t.Errorf("Run took %s to refuse a bad token", d)
	}
}

func TestGoodTokenConnects(t *testing.T) {
	t.Parallel()
	s := startNATS(t, &natsserver.Options{Username: "goodtok", Password: "right"})
	fs := newFakeServer(t, "nats://goodtok:right@"+s.Addr().String())
	cfg := testConfig(t, s.ClientURL(), "goodtok")
	cfg.Token = "right"
	startAgent(t, cfg)
	waitRegistered(t, fs, 1)
}

func TestBadTokenInRegisterReply(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	fs.registerError = api.Errorf(api.CodeBadToken, "unknown node token")
	a, err := New(testConfig(t, s.ClientURL(), "regtok"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	err = a.Run(ctx)
	if !errors.Is(err, ErrBadToken) || !api.IsCode(err, api.CodeBadToken) {
		t.Fatalf("Run = %v, want ErrBadToken with code bad_token", err)
	}
}

func TestRunReturnsNilOnCancel(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	ra := startAgent(t, testConfig(t, s.ClientURL(), "cancel"))
	waitRegistered(t, fs, 1)
	if err := ra.stop(t); err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
}

func TestRunWithoutServerStopsOnCancel(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, "nats://127.0.0.1:1", "noserver")
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := a.Run(ctx); err != nil {
		t.Errorf("Run = %v, want nil when cancelled while connecting", err)
	}
}
