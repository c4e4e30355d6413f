package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/server"
)

// benchServer is the server child process.
type benchServer struct {
	cmd     *exec.Cmd
	client  *api.Client
	natsURL string
	token   string
}

// benchServerOptions are what the benches set on their server child.
//
// RLIMIT_NOFILE is not among them: it is a setting of the bench process
// (which needs the descriptors too), and the child inherits it, so a bench
// raises it (raiseNoFile) before it calls startBenchServer.
type benchServerOptions struct {
	config string   // the content of the server's config file (server.yaml)
	env    []string // KEY=VALUE added to the server's environment
}

// startBenchServer starts `shrike server` (this executable) as a child
// process with its data under dir, listening on free loopback ports, waits
// until it answers health checks, reads the node token and the admin
// password it generated, and logs in as admin.
func startBenchServer(dir string, opts benchServerOptions) (*benchServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	httpAddr, natsAddr := loopbackAddr(), loopbackAddr()
	cfgPath := filepath.Join(dir, "server.yaml")
	if err := os.WriteFile(cfgPath, []byte(opts.config), 0o600); err != nil {
		return nil, err
	}
	dataDir := filepath.Join(dir, "server")
	cmd := exec.Command(exe, "server", "--config", cfgPath, "--data-dir", dataDir, "--listen", httpAddr, "--nats-listen", natsAddr, "--log-level", "error")
	cmd.Stderr = os.Stderr
	if len(opts.env) > 0 {
		cmd.Env = append(os.Environ(), opts.env...)
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &benchServer{cmd: cmd, natsURL: "nats://" + natsAddr}
	url := "http://" + httpAddr
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := api.NewClient(url, "").Health(context.Background()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("bench server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	pw, err1 := os.ReadFile(filepath.Join(dataDir, server.AdminPasswordFile))
	tok, err2 := os.ReadFile(filepath.Join(dataDir, server.NodeTokenFile))
	if err := errors.Join(err1, err2); err != nil {
		s.stop()
		return nil, err
	}
	s.token = strings.TrimSpace(string(tok))
	login, err := api.NewClient(url, "").Login(context.Background(), "admin", strings.TrimSpace(string(pw)))
	if err != nil {
		s.stop()
		return nil, err
	}
	s.client = api.NewClient(url, login.Token)
	return s, nil
}

// joinNodes trades the node token for each name's own credentials,
// concurrency at a time, and returns the secrets by name.
func (s *benchServer) joinNodes(ctx context.Context, names []string, concurrency int) (map[string]string, error) {
	c := api.NewClient(s.client.Addr(), "")
	out := make(map[string]string, len(names))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(concurrency, 1))
	for _, name := range names {
		g.Go(func() error {
			cred, err := c.JoinNode(gctx, api.JoinRequest{Token: s.token, Name: name})
			if err != nil {
				return fmt.Errorf("join %s: %w", name, err)
			}
			mu.Lock()
			out[name] = cred.Secret
			mu.Unlock()
			return nil
		})
	}
	return out, g.Wait()
}

func (s *benchServer) waitNodes(ctx context.Context, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		nodes, err := s.client.ListNodes(ctx)
		if err == nil && len(nodes) >= n {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("bench nodes did not register")
}

func (s *benchServer) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

func (s *benchServer) cpuSeconds() float64 { return procCPUSeconds(s.cmd.Process.Pid) }
func (s *benchServer) peakRSS() int64      { return procPeakRSS(s.cmd.Process.Pid) }

// loopbackAddr returns a loopback host:port that was free a moment ago.
func loopbackAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer l.Close()
	return l.Addr().String()
}
