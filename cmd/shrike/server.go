package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/shrike-grid/shrike/server"
)

// runServer is `shrike server`: the resource manager, scheduler, embedded
// NATS and REST API in one process.
func runServer(args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: shrike server [flags]

Runs the Shrike server: embedded NATS (JetStream), SQLite store, resource
manager, scheduler and REST API. Settings come from defaults, then the
--config file (YAML), then SHRIKE_DATA_DIR / SHRIKE_LISTEN /
SHRIKE_NATS_LISTEN, then flags.

Example:
  shrike server --data-dir /var/lib/shrike --listen 0.0.0.0:8080 --nats-listen 0.0.0.0:4222

Flags:
`)
		fs.PrintDefaults()
	}
	def := server.DefaultConfig()
	configFile := fs.String("config", "", "YAML configuration file")
	dataDir := fs.String("data-dir", def.DataDir, "where the server keeps its state")
	listen := fs.String("listen", def.Listen, "REST API address (loopback by default)")
	natsListen := fs.String("nats-listen", def.NATSListen, "NATS address that nodes connect to (loopback by default)")
	natsAdvertise := fs.String("nats-advertise", "", "NATS URL given to joining nodes (default: from --nats-listen, or the host they joined through when it listens on every interface)")
	heartbeat := fs.Duration("heartbeat-interval", def.HeartbeatInterval, "how often nodes report")
	hbTimeout := fs.Duration("heartbeat-timeout", def.HeartbeatTimeout, "silence after which a node is DOWN")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		return usageErr(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	cfg := server.DefaultConfig()
	if *configFile != "" {
		if err := cfg.LoadFile(*configFile); err != nil {
			return err
		}
	}
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "data-dir":
			cfg.DataDir = *dataDir
		case "listen":
			cfg.Listen = *listen
		case "nats-listen":
			cfg.NATSListen = *natsListen
		case "nats-advertise":
			cfg.NATSAdvertise = *natsAdvertise
		case "heartbeat-interval":
			cfg.HeartbeatInterval = *heartbeat
		case "heartbeat-timeout":
			cfg.HeartbeatTimeout = *hbTimeout
		}
	})
	logger, err := roleLogger(*logLevel)
	if err != nil {
		return usageErr(err)
	}
	cfg.Logger = logger
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if path := os.Getenv("SHRIKE_CPUPROFILE"); path != "" {
		stopProfile, err := startCPUProfile(path)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	printServerBanner(srv)
	return srv.Run(ctx)
}

// printServerBanner tells the operator where everything is.
func printServerBanner(srv *server.Server) {
	dir, _ := filepath.Abs(srv.DataDir())
	fmt.Printf("Shrike server\n  REST API:    %s\n  NATS:        %s\n  data dir:    %s\n", srv.URL(), srv.NATSURL(), dir)
	if srv.AdminCreated() {
		fmt.Printf("  admin user created; password in %s\n", filepath.Join(dir, server.AdminPasswordFile))
	}
	fmt.Printf("  node token:  %s\n", filepath.Join(dir, server.NodeTokenFile))
	fmt.Printf("Join a node:   shrike node --server %s --token-file %s --work-dir DIR\n", srv.URL(), filepath.Join(dir, server.NodeTokenFile))
}

// startCPUProfile writes a CPU profile of the process to path until the
// returned function is called (SHRIKE_CPUPROFILE, for benchmarks).
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// roleLogger is the logger of the long-running roles (server, node, dev).
func roleLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// shutdownGrace bounds how long a role waits for its parts to stop.
const shutdownGrace = 15 * time.Second

// usageErr marks err as a usage error (exit code 2).
func usageErr(err error) error { return &codedError{code: exitUsage, err: err} }
