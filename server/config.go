package server

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"gopkg.in/yaml.v3"
)

// Config is the server's configuration: defaults, then an optional file,
// then SHRIKE_* environment variables, then flags (cmd/shrike applies them
// in that order).
type Config struct {
	DataDir    string `yaml:"data_dir"`
	Listen     string `yaml:"listen"`      // REST API address
	NATSListen string `yaml:"nats_listen"` // embedded NATS address for nodes

	HeartbeatInterval time.Duration `yaml:"heartbeat_interval"`
	// HeartbeatTimeout is how long a node may stay silent before it is DOWN.
	HeartbeatTimeout time.Duration `yaml:"heartbeat_timeout"`
	// DispatchGrace is how long after a start was sent a node may still
	// omit the attempt from its reports before it counts as lost.
	DispatchGrace time.Duration `yaml:"dispatch_grace"`
	// KillGrace is the time between SIGTERM and SIGKILL on nodes.
	KillGrace time.Duration `yaml:"kill_grace"`
	// ScheduleInterval is the longest the scheduler waits between cycles
	// when nothing wakes it.
	ScheduleInterval time.Duration `yaml:"schedule_interval"`
	// RequestTimeout bounds server → node requests.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// Synchronous is SQLite's synchronous pragma: FULL (default) or NORMAL.
	Synchronous string `yaml:"sqlite_synchronous"`
	// SessionTTL is how long an API login stays valid.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// RMSampleInterval is how often the number of nodes in each state is
	// recorded for the RM's history.
	RMSampleInterval time.Duration `yaml:"rm_sample_interval"`
	// DownNodeRetention is how long a DOWN node stays listed before it is
	// removed; 0 keeps DOWN nodes until an admin removes them.
	DownNodeRetention time.Duration `yaml:"down_node_retention"`

	// NATSAdvertise is the NATS URL given to nodes when they join (as
	// reachable from them); default: the embedded server's client URL.
	NATSAdvertise string `yaml:"nats_advertise"`
	// AgentBinary is the shrike binary that local node sources start;
	// default: this server's own executable.
	AgentBinary string `yaml:"agent_binary"`
	// PolicyInterval is the longest between two decisions of a node
	// source's deployment policy (changes wake it sooner).
	PolicyInterval time.Duration `yaml:"policy_interval"`
	// InfraCheckInterval is how often infrastructures are asked which of
	// their nodes are gone (LOST).
	InfraCheckInterval time.Duration `yaml:"infra_check_interval"`
	// DeployTimeout is how long a deployed node may take to register
	// before it is LOST.
	DeployTimeout time.Duration `yaml:"deploy_timeout"`
	// SelectionTimeout is the wall-clock budget of one dynamic selection
	// script on a node.
	SelectionTimeout time.Duration `yaml:"selection_timeout"`
	// SelectionBackoff is how long a node is skipped for a task's dynamic
	// scripts after they said no or failed there.
	SelectionBackoff time.Duration `yaml:"selection_backoff"`
	// SelectionAllowlist, when not empty, lists the SHA-256 digests of the
	// only inline selection scripts users may submit (admins and the
	// shipped library are not restricted).
	SelectionAllowlist []string `yaml:"selection_allowlist"`
	// AdvertiseURL is the REST URL nodes use to move task files (as they
	// reach it); default: the listen address.
	AdvertiseURL string `yaml:"advertise_url"`
	// GlobalWriters lists who may write the global space besides admins
	// ("user:NAME", "group:NAME").
	GlobalWriters []string `yaml:"global_writers"`
	// UserQuota bounds each user's bytes in dataspaces (their user space
	// and their jobs' outputs); 0: no limit.
	UserQuota int64 `yaml:"user_quota"`
	// PriorityMaxByGroup raises the highest priority the members of a
	// group may submit at (group → level name, e.g. physics: high). Users
	// may always go up to normal and get the highest level any of their
	// groups allows; admins are not restricted.
	PriorityMaxByGroup map[string]string `yaml:"priority_max_by_group"`
	// Queues are the scheduler's queues; without any, one FIFO queue
	// named api.DefaultQueue of weight 1 and no quotas.
	Queues []QueueConfig `yaml:"queues"`
	// FairShareHalfLife is how fast past usage is forgotten in fair share
	// (docs/scheduling.md): usage from one half-life ago counts half.
	FairShareHalfLife time.Duration `yaml:"fair_share_half_life"`
	// ResultLimit is the largest task result (Lua return value or
	// $SHRIKE_RESULT file) in bytes.
	ResultLimit int64 `yaml:"result_limit"`
	// MaxSubJobs bounds the jobs in one sub-job tree (all the descendants
	// of a job that a user submitted), and MaxSubJobDepth how deep the
	// tree may go (a user's job is depth 0, its children 1, ...): a guard
	// against a job that decomposes itself without end. 0: no limit.
	MaxSubJobs     int `yaml:"max_sub_jobs"`
	MaxSubJobDepth int `yaml:"max_sub_job_depth"`

	Logger *slog.Logger `yaml:"-"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		DataDir:            "./shrike-data",
		Listen:             "127.0.0.1:8080",
		NATSListen:         "127.0.0.1:4222",
		HeartbeatInterval:  5 * time.Second,
		HeartbeatTimeout:   20 * time.Second,
		DispatchGrace:      15 * time.Second,
		KillGrace:          10 * time.Second,
		ScheduleInterval:   time.Second,
		RequestTimeout:     5 * time.Second,
		Synchronous:        "FULL",
		SessionTTL:         30 * 24 * time.Hour,
		RMSampleInterval:   time.Minute,
		DownNodeRetention:  24 * time.Hour,
		PolicyInterval:     5 * time.Second,
		InfraCheckInterval: 10 * time.Second,
		DeployTimeout:      5 * time.Minute,
		SelectionTimeout:   5 * time.Second,
		SelectionBackoff:   5 * time.Minute,
		FairShareHalfLife:  24 * time.Hour,
		ResultLimit:        1 << 20,
		MaxSubJobs:         10000,
		MaxSubJobDepth:     32,
	}
}

// QueueConfig is one queue of the scheduler (config key queues).
type QueueConfig struct {
	Name string `yaml:"name"`
	// Weight is the queue's share against the others at equal priority
	// (default 1).
	Weight float64 `yaml:"weight"`
	// Policy is "fifo" (default: a task blocked for resources blocks the
	// queue) or "backfill" (smaller tasks may pass it when they do not
	// delay its reservation).
	Policy string `yaml:"policy"`
	// Preemption lets pending tasks of the queue preempt its running
	// tasks of lower priority.
	Preemption bool `yaml:"preemption"`
	// Quotas (0: none): running tasks and CPUs, for the whole queue and
	// per user.
	MaxRunning        int     `yaml:"max_running"`
	MaxCPUs           float64 `yaml:"max_cpus"`
	MaxRunningPerUser int     `yaml:"max_running_per_user"`
	MaxCPUsPerUser    float64 `yaml:"max_cpus_per_user"`
}

// TestConfig returns a configuration with short intervals for tests, on
// random loopback ports, under dataDir.
func TestConfig(dataDir string) Config {
	c := DefaultConfig()
	c.DataDir = dataDir
	c.Listen = "127.0.0.1:0"
	c.NATSListen = "127.0.0.1:0"
	c.HeartbeatInterval = 200 * time.Millisecond
	c.HeartbeatTimeout = 1500 * time.Millisecond
	c.DispatchGrace = time.Second
	c.KillGrace = 2 * time.Second
	c.ScheduleInterval = 200 * time.Millisecond
	c.RequestTimeout = 2 * time.Second
	c.Synchronous = "NORMAL"
	c.RMSampleInterval = 300 * time.Millisecond
	c.PolicyInterval = 200 * time.Millisecond
	c.InfraCheckInterval = 300 * time.Millisecond
	c.DeployTimeout = 30 * time.Second
	return c
}

// LoadFile merges a YAML configuration file into c. Unknown keys are errors.
func (c *Config) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// ApplyEnv reads SHRIKE_DATA_DIR, SHRIKE_LISTEN, SHRIKE_NATS_LISTEN,
// SHRIKE_NATS_ADVERTISE and SHRIKE_HEARTBEAT_INTERVAL (documented in docs/server.md).
func (c *Config) ApplyEnv(getenv func(string) string) error {
	var errs []error
	if v := getenv("SHRIKE_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if v := getenv("SHRIKE_LISTEN"); v != "" {
		c.Listen = v
	}
	if v := getenv("SHRIKE_NATS_LISTEN"); v != "" {
		c.NATSListen = v
	}
	if v := getenv("SHRIKE_NATS_ADVERTISE"); v != "" {
		c.NATSAdvertise = v
	}
	if v := getenv("SHRIKE_HEARTBEAT_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("SHRIKE_HEARTBEAT_INTERVAL: %w", err))
		}
		c.HeartbeatInterval = d
	}
	return errors.Join(errs...)
}

// Validate reports every problem with the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir: must not be empty"))
	}
	for name, addr := range map[string]string{"listen": c.Listen, "nats_listen": c.NATSListen} {
		if _, port, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", name, addr))
		} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("%s: invalid port %q", name, port))
		}
	}
	positive := map[string]time.Duration{
		"heartbeat_interval": c.HeartbeatInterval, "heartbeat_timeout": c.HeartbeatTimeout,
		"dispatch_grace": c.DispatchGrace, "schedule_interval": c.ScheduleInterval,
		"request_timeout": c.RequestTimeout, "session_ttl": c.SessionTTL, "rm_sample_interval": c.RMSampleInterval,
		"policy_interval": c.PolicyInterval, "infra_check_interval": c.InfraCheckInterval, "deploy_timeout": c.DeployTimeout,
		"selection_timeout": c.SelectionTimeout, "selection_backoff": c.SelectionBackoff,
	}
	for name, d := range positive {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive", name))
		}
	}
	if c.NATSAdvertise != "" {
		if u, err := url.Parse(c.NATSAdvertise); err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
			errs = append(errs, fmt.Errorf("nats_advertise: %q is not a URL like nats://grid.example.org:4222", c.NATSAdvertise))
		}
	}
	for i, d := range c.SelectionAllowlist {
		if len(d) != 64 || strings.Trim(strings.ToLower(d), "0123456789abcdef") != "" {
			errs = append(errs, fmt.Errorf("selection_allowlist[%d]: %q is not a SHA-256 digest (64 hex digits; `shrike script test` prints a script's)", i, d))
		}
	}
	for i, w := range c.GlobalWriters {
		if !principalRE.MatchString(w) {
			errs = append(errs, fmt.Errorf("global_writers[%d]: %q: use user:NAME or group:NAME", i, w))
		}
	}
	for _, g := range slices.Sorted(maps.Keys(c.PriorityMaxByGroup)) {
		if _, err := api.ParsePriority(c.PriorityMaxByGroup[g]); err != nil {
			errs = append(errs, fmt.Errorf("priority_max_by_group.%s: %w", g, err))
		}
	}
	if c.UserQuota < 0 {
		errs = append(errs, errors.New("user_quota: must not be negative (0 means no limit)"))
	}
	if c.AdvertiseURL != "" {
		if u, err := url.Parse(c.AdvertiseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("advertise_url: %q is not a URL like https://grid.example.org:8080", c.AdvertiseURL))
		}
	}
	if c.MaxSubJobs < 0 || c.MaxSubJobDepth < 0 {
		errs = append(errs, errors.New("max_sub_jobs, max_sub_job_depth: must not be negative (0 means no limit)"))
	}
	if c.DownNodeRetention < 0 {
		errs = append(errs, errors.New("down_node_retention: must not be negative (0 keeps DOWN nodes)"))
	}
	if c.ResultLimit <= 0 || c.ResultLimit > MaxResultLimit {
		errs = append(errs, fmt.Errorf("result_limit: must be positive and at most %d (4 MiB): results travel in NATS messages; use output files for data", MaxResultLimit))
	}
	if c.KillGrace <= 0 {
		errs = append(errs, errors.New("kill_grace: must be positive (it is the time between SIGTERM and SIGKILL)"))
	}
	if c.HeartbeatTimeout > 0 && c.HeartbeatTimeout < 2*c.HeartbeatInterval {
		errs = append(errs, errors.New("heartbeat_timeout: must be at least twice heartbeat_interval"))
	}
	errs = append(errs, c.validateQueues()...)
	switch strings.ToUpper(c.Synchronous) {
	case "FULL", "NORMAL":
	default:
		errs = append(errs, fmt.Errorf("sqlite_synchronous: %q is not FULL or NORMAL", c.Synchronous))
	}
	return errors.Join(errs...)
}
