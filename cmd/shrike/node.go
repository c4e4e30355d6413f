package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/scripts"
)

// Environment variables the node agent reads.
const (
	envNodeServer = "SHRIKE_NODE_SERVER"
	envNodeToken  = "SHRIKE_NODE_TOKEN"
)

// defaultNodeWorkDir is the agent's work directory unless --work-dir
// says otherwise.
const defaultNodeWorkDir = "./shrike-node"

// Join retries of the agent: the server may not be up yet (a node and its
// server started together, a Kubernetes rollout).
const (
	joinRetryFirst = time.Second
	joinRetryMax   = 30 * time.Second
)

// agentOptions are the node agent's flags.
type agentOptions struct {
	server      string // the server's REST URL, to join through
	nats        string // overrides the NATS URL of the credentials
	credentials string // "" means <work-dir>/credentials.json
	token       string // enrollment token (or $SHRIKE_NODE_TOKEN)
	tokenFile   string
	name        string
	workDir     string
	tags        listFlag // --tags a,b and --tag T
	slots, cpus int
	facts       factFlags
	factsFile   string
	sharedFlags sharedSpaceFlags  // --shared-space NAME=PATH
	shared      map[string]string // sharedFlags, parsed and checked
	watchOwner  bool
	ownerFile   string
	allowProbes bool // --allow-probe-commands
	logLevel    string
	given       map[string]bool // the flags given on the command line
}

// agentFlagSet returns the node agent's flag set, bound to o, printing
// errors and usage on output.
func agentFlagSet(o *agentOptions, output io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: shrike node [--server URL (--token-file FILE | --token TOKEN)] [flags]

Runs a node agent: it connects to the server with the node's own
credentials, reports its facts, heartbeats and runs the tasks the scheduler
places on it.

The credentials live in <work-dir>/credentials.json (--credentials). When
that file does not exist, the agent first joins: it trades an enrollment
token of a node source (shrike source token create SOURCE) for credentials
at the server's REST URL (--server http://HOST:PORT), saves them and goes
on. 'shrike node join' does only that step.

Example:
  shrike node --server http://10.0.0.5:8080 --token-file /etc/shrike/enroll-token \
    --work-dir /var/lib/shrike-node --slots 8 --tags gpu,fast --fact rack=7

--token-file (or SHRIKE_NODE_TOKEN) keeps the token out of the process list;
tasks never see it in their environment.

Commands: 'shrike node help' lists the node commands (ls, show, join,
install-service...).

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.server, "server", "", "the server's REST URL (http://HOST:PORT) to join through when there are no credentials yet (env "+envNodeServer+")")
	fs.StringVar(&o.nats, "nats", "", "NATS URL to connect to, instead of the one in the credentials")
	fs.StringVar(&o.credentials, "credentials", "", "the node's credentials file (default <work-dir>/"+node.CredentialsFile+")")
	fs.StringVar(&o.token, "token", "", "enrollment token, used to join when there are no credentials (env "+envNodeToken+"; prefer --token-file)")
	fs.StringVar(&o.tokenFile, "token-file", "", "file holding the enrollment token")
	fs.StringVar(&o.name, "name", "", "node name when joining (default: host name); must match the credentials")
	fs.StringVar(&o.workDir, "work-dir", defaultNodeWorkDir, "task working dirs, logs, the result outbox and the credentials")
	fs.StringVar(&o.workDir, "work", defaultNodeWorkDir, "same as --work-dir")
	fs.Var(&o.tags, "tags", "comma-separated tags (repeatable)")
	fs.Var(&o.tags, "tag", "a tag (repeatable)")
	fs.IntVar(&o.slots, "slots", 0, "tasks run at once (default: cpus)")
	fs.IntVar(&o.cpus, "cpus", 0, "CPUs to offer (default: all)")
	fs.Var(&o.facts, "fact", "custom fact key=value (repeatable; wins over --facts-file)")
	fs.StringVar(&o.factsFile, "facts-file", "", "YAML or JSON file holding an object of custom facts (string values)")
	fs.Var(&o.sharedFlags, "shared-space", "a space this host sees at a local path, NAME=PATH (repeatable): NAME is global, user:USERNAME or jobs "+
		"(the server's <data-dir>/spaces/{global,users/USERNAME,jobs}); PATH absolute and existing. Tasks here then copy its files directly")
	fs.BoolVar(&o.watchOwner, "watch-owner", false, "report the workstation owner's input idle time and load in heartbeats (Linux: /proc, /dev)")
	fs.StringVar(&o.ownerFile, "owner-file", "", `report the owner reading in this JSON file instead, read at every heartbeat: {"input_idle":"10m","load":0.2}`)
	fs.BoolVar(&o.allowProbes, "allow-probe-commands", false, "let dynamic selection scripts run commands on this host (host.run), with a timeout, in the work directory")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	return fs
}

// parseAgentFlags parses the agent's command line and checks it. getenv
// supplies $SHRIKE_NODE_SERVER and $SHRIKE_NODE_TOKEN for flags not
// given. Problems the flag package reports are printed on output.
func parseAgentFlags(args []string, getenv func(string) string, output io.Writer) (*agentOptions, error) {
	o := &agentOptions{}
	fs := agentFlagSet(o, output)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &codedError{code: exitUsage} // flag printed the problem and usage
	}
	o.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.given[f.Name] = true })
	if fs.NArg() > 0 {
		return nil, usageErrorf("node: unexpected argument %q (run 'shrike node help' for the node commands)", fs.Arg(0))
	}
	if o.server == "" {
		o.server = getenv(envNodeServer)
	}
	if o.token == "" {
		o.token = getenv(envNodeToken)
	}
	var errs []error
	if o.server != "" {
		if err := node.CheckServerURL(o.server); err != nil {
			errs = append(errs, fmt.Errorf("--server: %w", err))
		}
	}
	if o.nats != "" {
		if u, err := url.Parse(o.nats); err != nil || u.Scheme == "http" || u.Scheme == "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("--nats: %q is not a NATS URL (nats://HOST:4222)", o.nats))
		}
	}
	if o.name != "" {
		if err := api.ValidateNodeName(o.name); err != nil {
			errs = append(errs, fmt.Errorf("--name: %w", err))
		}
	}
	if strings.TrimSpace(o.workDir) == "" {
		errs = append(errs, errors.New("--work-dir: must not be empty"))
	}
	if o.watchOwner && o.ownerFile != "" {
		errs = append(errs, errors.New("--watch-owner and --owner-file: give one or the other"))
	}
	if o.slots < 0 || o.cpus < 0 {
		errs = append(errs, errors.New("--slots and --cpus: must not be negative"))
	}
	shared, err := node.ParseSharedSpaces(o.sharedFlags)
	if err != nil {
		errs = append(errs, fmt.Errorf("--shared-space: %w", err))
	}
	o.shared = shared
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level: %q is not debug, info, warn or error", o.logLevel))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, usageErr(err)
	}
	return o, nil
}

// credentialsPath is where the agent's credentials live.
func (o *agentOptions) credentialsPath() string {
	if o.credentials != "" {
		return o.credentials
	}
	return filepath.Join(o.workDir, node.CredentialsFile)
}

// enrollToken returns the enrollment token (--token-file, else --token or
// $SHRIKE_NODE_TOKEN), "" if none was given.
func (o *agentOptions) enrollToken() (string, error) {
	if o.tokenFile != "" {
		data, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return "", usageErr(fmt.Errorf("--token-file: %w", err))
		}
		return strings.TrimSpace(string(data)), nil
	}
	return strings.TrimSpace(o.token), nil
}

// runNode is `shrike node`: the node agent (and its hidden helper
// `shrike node run-lua FILE`, which runs a Lua task in its own process).
func runNode(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "run-lua" {
		if len(args) != 2 {
			return usageErr(errors.New("usage: shrike node run-lua FILE"))
		}
		os.Exit(scripts.RunTaskFile(args[1]))
	}
	o, err := parseAgentFlags(args, e.getenv, e.stderr)
	if err != nil {
		return err
	}
	logger, err := roleLogger(o.logLevel)
	if err != nil {
		return usageErr(err)
	}
	// Check everything before joining, which may spend a one-time token.
	cfg, err := o.config(logger)
	if err != nil {
		return err
	}
	creds, err := agentCredentials(ctx, e, o, logger)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	cfg.ServerURL, cfg.Token, cfg.Name = firstOf(o.nats, creds.NATSURL), creds.Secret, creds.Name
	agent, err := node.New(cfg)
	if err != nil {
		return usageErr(err)
	}
	fmt.Fprintf(e.stderr, "shrike node %s (source %s) connecting to %s\n", agent.Name(), orDash(creds.Source), cfg.ServerURL)
	err = agent.Run(ctx)
	if errors.Is(err, node.ErrRemoved) {
		fmt.Fprintf(e.stderr, "shrike node: %v; exiting\n", err)
		return nil
	}
	return err
}

// agentCredentials reads the node's credentials, or joins the server and
// saves them when the file does not exist yet.
func agentCredentials(ctx context.Context, e *env, o *agentOptions, logger *slog.Logger) (api.NodeCredentials, error) {
	path := o.credentialsPath()
	creds, err := node.ReadCredentials(path)
	if err == nil {
		if o.name != "" && o.name != creds.Name {
			return creds, usageErrorf("--name %s: the credentials in %s are those of node %s (remove the file to join under another name)", o.name, path, creds.Name)
		}
		return creds, nil
	}
	if !errors.Is(err, node.ErrNoCredentials) {
		return creds, err
	}
	token, err := o.enrollToken()
	if err != nil {
		return creds, err
	}
	if token == "" || o.server == "" {
		return creds, usageErrorf("no credentials file %s: to join, give the server's REST URL (--server http://HOST:PORT) "+
			"and an enrollment token (--token-file, --token or %s; create one with 'shrike source token create SOURCE')", path, envNodeToken)
	}
	name := o.name
	if name == "" {
		host, _ := os.Hostname()
		name = node.SanitizeName(host)
	}
	creds, err = joinWithRetry(ctx, o.server, token, name, logger)
	if err != nil {
		return creds, err
	}
	if err := node.WriteCredentials(path, creds); err != nil {
		return creds, err
	}
	fmt.Fprintf(e.stderr, "shrike node: joined %s as node %s of source %s; credentials saved in %s\n", o.server, creds.Name, orDash(creds.Source), path)
	return creds, nil
}

// joinWithRetry joins, retrying with backoff while the server cannot be
// reached or is unavailable, until ctx ends.
func joinWithRetry(ctx context.Context, server, token, name string, logger *slog.Logger) (api.NodeCredentials, error) {
	wait := joinRetryFirst
	for {
		creds, err := node.Join(ctx, server, token, name)
		if err == nil || !node.JoinRetryable(err) || ctx.Err() != nil {
			return creds, err
		}
		logger.Warn("cannot join the server yet; retrying", "err", err, "in", wait)
		t := time.NewTimer(wait + rand.N(wait/4+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return creds, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, joinRetryMax)
	}
}

// config builds the agent's configuration from the flags, and checks it;
// the credentials' part (ServerURL, Token, Name) is left for the caller.
func (o *agentOptions) config(logger *slog.Logger) (node.Config, error) {
	var fileFacts map[string]string
	if o.factsFile != "" {
		var err error
		if fileFacts, err = node.ReadFactsFile(o.factsFile); err != nil {
			return node.Config{}, usageErr(fmt.Errorf("--facts-file: %w", err))
		}
	}
	custom, err := node.MergeFacts(fileFacts, o.facts)
	if err != nil {
		return node.Config{}, usageErr(fmt.Errorf("--fact: %w", err))
	}
	var owner node.OwnerSource
	switch {
	case o.watchOwner:
		owner = node.NewProcOwner(time.Now())
	case o.ownerFile != "":
		owner = node.OwnerFile{Path: o.ownerFile}
	}
	cfg := node.Config{
		Slots:        o.slots,
		CPUs:         o.cpus,
		Tags:         o.tags,
		Facts:        custom,
		SharedSpaces: o.shared,
		WorkDir:      o.workDir,
		OwnerSource:  owner,
		Logger:       logger,

		AllowProbeCommands: o.allowProbes,
	}
	check := cfg
	check.ServerURL, check.Token = "nats://credentials", "credentials" // filled in later
	if err := check.Validate(); err != nil {
		return cfg, usageErr(err)
	}
	return cfg, nil
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

// sharedSpaceFlags is the repeatable --shared-space NAME=PATH flag; paths
// may hold commas, so each flag is one space. node.ParseSharedSpaces
// checks them.
type sharedSpaceFlags []string

func (f *sharedSpaceFlags) String() string { return strings.Join(*f, " ") }

func (f *sharedSpaceFlags) Set(v string) error {
	*f = append(*f, v)
	return nil
}
