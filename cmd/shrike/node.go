package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/scripts"
)

// runNode is `shrike node`: the node agent (and its hidden helper
// `shrike node run-lua FILE`, which runs a Lua task in its own process).
func runNode(args []string) error {
	if len(args) > 0 && args[0] == "run-lua" {
		if len(args) != 2 {
			return usageErr(errors.New("usage: shrike node run-lua FILE"))
		}
		os.Exit(scripts.RunTaskFile(args[1]))
	}
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: shrike node --server nats://HOST:PORT (--token-file FILE | --token TOKEN) [flags]

Runs a node agent: it joins the server, reports its facts, heartbeats and
runs the tasks the scheduler places on it.

Example:
  shrike node --server nats://10.0.0.5:4222 --token-file /etc/shrike/node-token --slots 8 --tags gpu,fast --fact rack=7

--token-file (or SHRIKE_NODE_TOKEN) keeps the token out of the process list;
tasks never see it in their environment.

Flags:
`)
		fs.PrintDefaults()
	}
	serverURL := fs.String("server", envOr("SHRIKE_NODE_SERVER", "nats://127.0.0.1:4222"), "server NATS URL (env SHRIKE_NODE_SERVER)")
	token := fs.String("token", os.Getenv("SHRIKE_NODE_TOKEN"), "node enrollment token (env SHRIKE_NODE_TOKEN; prefer --token-file)")
	tokenFile := fs.String("token-file", "", "file holding the node enrollment token")
	name := fs.String("name", "", "node name (default: host name)")
	slots := fs.Int("slots", 0, "tasks run at once (default: cpus)")
	cpus := fs.Int("cpus", 0, "CPUs to offer (default: all)")
	tags := fs.String("tags", "", "comma-separated tags")
	var facts factFlags
	fs.Var(&facts, "fact", "custom fact key=value (repeatable; wins over --facts-file)")
	factsFile := fs.String("facts-file", "", "YAML or JSON file holding an object of custom facts (string values)")
	workDir := fs.String("work-dir", "./shrike-node", "task working dirs, logs and the result outbox")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > 0 {
		return usageErr(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	logger, err := roleLogger(*logLevel)
	if err != nil {
		return usageErr(err)
	}
	if *tokenFile != "" {
		data, err := os.ReadFile(*tokenFile)
		if err != nil {
			return usageErr(fmt.Errorf("--token-file: %w", err))
		}
		*token = string(data)
	}
	var fileFacts map[string]string
	if *factsFile != "" {
		if fileFacts, err = node.ReadFactsFile(*factsFile); err != nil {
			return usageErr(fmt.Errorf("--facts-file: %w", err))
		}
	}
	custom, err := node.MergeFacts(fileFacts, facts)
	if err != nil {
		return usageErr(fmt.Errorf("--fact: %w", err))
	}
	cfg := node.Config{
		ServerURL: *serverURL, Token: strings.TrimSpace(*token), Name: *name,
		Slots: *slots, CPUs: *cpus, Tags: splitList(*tags), Facts: custom, WorkDir: *workDir, Logger: logger,
	}
	agent, err := node.New(cfg)
	if err != nil {
		return usageErr(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(os.Stderr, "shrike node %s joining %s\n", agent.Name(), *serverURL)
	err = agent.Run(ctx)
	if errors.Is(err, node.ErrRemoved) {
		fmt.Fprintf(os.Stderr, "shrike node: %v; exiting\n", err)
		return nil
	}
	return err
}

// factFlags is the repeatable --fact key=value flag; values may hold
// commas, so each flag is one fact.
type factFlags []string

func (f *factFlags) String() string { return strings.Join(*f, " ") }

func (f *factFlags) Set(v string) error {
	if k, _, ok := strings.Cut(v, "="); !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	*f = append(*f, v)
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
