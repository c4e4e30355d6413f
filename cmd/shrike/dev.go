package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/server"
)

//go:embed demo.yaml
var demoJob []byte

// runDev is `shrike dev`: a server and local node agents in one process,
// with a throwaway data dir — the first command to try.
func runDev(args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: shrike dev [--demo] [flags]

Runs a whole grid in one process: a server and local node agents, with a
throwaway data dir removed at exit. With --demo it also submits an example
DAG job (A → B, C → D) and shows it run.

Example:
  shrike dev --demo

Flags:
`)
		fs.PrintDefaults()
	}
	demo := fs.Bool("demo", false, "submit an example DAG job and follow it")
	nodes := fs.Int("nodes", 2, "local node agents to start")
	slots := fs.Int("slots", 0, "slots per node (default: cpus)")
	listen := fs.String("listen", "127.0.0.1:8080", "REST API address")
	natsListen := fs.String("nats-listen", "127.0.0.1:4222", "NATS address")
	dataDir := fs.String("data-dir", "", "data dir (default: a temporary one, removed at exit)")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if *nodes < 0 || *nodes > 64 {
		return usageErr(errors.New("--nodes must be between 0 and 64"))
	}
	logger, err := roleLogger(*logLevel)
	if err != nil {
		return usageErr(err)
	}
	dir := *dataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "shrike-dev-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.Listen, cfg.NATSListen, cfg.Logger = filepath.Join(dir, "server"), *listen, *natsListen, logger
	cfg.HeartbeatInterval, cfg.HeartbeatTimeout, cfg.ScheduleInterval = time.Second, 5*time.Second, 250*time.Millisecond
	cfg.Synchronous = "NORMAL"
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(ctx) })
	for i := 1; i <= *nodes; i++ {
		name := fmt.Sprintf("dev-%d", i)
		cred, err := srv.EnrollLocal(ctx, name)
		if err != nil {
			return fmt.Errorf("enrolling %s: %w", name, err)
		}
		agent, err := node.New(node.Config{
			ServerURL: cred.NATSURL, Token: cred.Secret, Name: name,
			Slots: *slots, WorkDir: filepath.Join(dir, fmt.Sprintf("node-%d", i)), Logger: logger,
		})
		if err != nil {
			return err
		}
		g.Go(func() error { return agent.Run(ctx) })
	}
	password, err := os.ReadFile(filepath.Join(cfg.DataDir, server.AdminPasswordFile))
	if err != nil {
		return err
	}
	login, err := api.NewClient(srv.URL(), "").Login(ctx, "admin", strings.TrimSpace(string(password)))
	if err != nil {
		return fmt.Errorf("dev login: %w", err)
	}
	fmt.Printf(`Shrike dev grid running (%d nodes). Ctrl-C stops it and removes %s.
  web UI and API: %s
  user admin, password %s
  use the CLI from another terminal:
    export SHRIKE_ADDR=%s SHRIKE_TOKEN=%s
    shrike node ls
`, *nodes, dir, srv.URL(), strings.TrimSpace(string(password)), srv.URL(), login.Token)
	if *demo {
		g.Go(func() error { return runDemo(ctx, api.NewClient(srv.URL(), login.Token)) })
	}
	return g.Wait()
}

// runDemo submits the demo job and prints its progress until it ends.
func runDemo(ctx context.Context, c *api.Client) error {
	start := time.Now()
	resp, err := c.SubmitJob(ctx, demoJob, "application/yaml", nil)
	if err != nil {
		return fmt.Errorf("demo job: %w", err)
	}
	fmt.Printf("\nsubmitted demo job %d (diamond DAG: A → B, C → D)\n", resp.ID)
	seen := map[string]api.TaskState{}
	job, err := c.WaitJob(ctx, resp.ID, 100*time.Millisecond, func(j api.Job) {
		for _, t := range j.Tasks {
			if seen[t.Name] != t.State {
				seen[t.Name] = t.State
				fmt.Printf("  %6.2fs  task %-8s %-9s %s\n", time.Since(start).Seconds(), t.Name, t.State, t.Node)
			}
		}
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	fmt.Printf("demo job %d %s in %.1fs. Output of its tasks:\n", job.ID, job.State, time.Since(start).Seconds())
	for _, t := range job.Tasks {
		var out strings.Builder
		if err := c.TaskLog(ctx, job.ID, t.Name, api.LogOptions{Follow: true}, &out); err != nil {
			return err
		}
		fmt.Printf("  [%s] %s", t.Name, strings.ReplaceAll(strings.TrimRight(out.String(), "\n"), "\n", "\n      "))
		fmt.Println()
	}
	fmt.Printf("(again with: shrike job logs %d D)\n", job.ID)
	return nil
}
