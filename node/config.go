package node

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/shrike-grid/shrike/api"
)

// Defaults for the zero values of Config.
const (
	DefaultKillGrace       = 10 * time.Second
	DefaultLogPollInterval = 250 * time.Millisecond
	DefaultOutboxRetry     = time.Second
	DefaultRequestTimeout  = 5 * time.Second
	DefaultLogRetention    = 24 * time.Hour
)

// Config is the node agent's configuration. The zero value of every field
// except ServerURL, Token and WorkDir means "use the default".
//
// ServerURL, Token and Name normally come from the node's credentials
// (api.NodeCredentials: NATSURL, Secret, Name; see ReadCredentials and
// Join).
type Config struct {
	// ServerURL is the server's NATS URL (nats://host:4222).
	ServerURL string
	// Token is the node's NATS password: the secret of its credentials.
	Token string
	// Name is the node's name in subjects and file names and its NATS
	// user; it must pass api.ValidateNodeName. Default: the host name,
	// sanitised.
	Name string
	// CPUs is the number of CPUs reported. Default: runtime.NumCPU().
	CPUs int
	// Slots is the number of task slots reported. Default: CPUs.
	Slots int
	// Tags are free-form labels reported with the facts.
	Tags []string
	// Facts are custom facts reported at registration (node.facts in
	// selection scripts). Keys match FactKeyPattern; values are at most
	// MaxFactValueLen bytes.
	Facts map[string]string
	// SharedSpaces are the spaces this node sees at a local path (a shared
	// file system; --shared-space NAME=PATH), reported in
	// api.NodeFacts.SharedSpaces: names api.SharedSpaceGlobal,
	// api.SharedSpaceUserPrefix+username or api.SharedSpaceJobs, each an
	// absolute path to an existing directory.
	SharedSpaces map[string]string
	// WorkDir holds the task working directories, the logs and the outbox.
	WorkDir string
	// KeepWorkDirs keeps each attempt's working directory after it ends
	// (for debugging); by default it is removed.
	KeepWorkDirs bool
	// KillGrace is the time between SIGTERM and SIGKILL. Default 10s.
	KillGrace time.Duration
	// LogPollInterval is how often running tasks' output is streamed.
	// Default 250ms.
	LogPollInterval time.Duration
	// OutboxRetry is how often unacknowledged results are re-sent.
	// Default 1s.
	OutboxRetry time.Duration
	// RequestTimeout bounds every request to the server. Default 5s.
	RequestTimeout time.Duration
	// LogRetention is how long task logs are kept. Default 24h.
	LogRetention time.Duration
	// LuaRunner is the argv prefix that runs a Lua task file (the file is
	// appended). Default: [os.Executable(), "node", "run-lua"].
	LuaRunner []string
	// ShrikeBin is the shrike executable tasks are told about
	// ($SHRIKE_BIN; its directory ends their PATH when it is named
	// shrike), so that `shrike task exec` and the other client commands
	// work in tasks on hosts without shrike on the PATH. Default:
	// os.Executable().
	ShrikeBin string
	// AllowProbeCommands lets dynamic selection scripts run commands on
	// this host (host.run; --allow-probe-commands). Off by default:
	// without it, host.run is an error.
	AllowProbeCommands bool
	// OwnerSource, if set, is read at every heartbeat and reported as
	// Heartbeat.Owner (workstations: --watch-owner, --owner-file). nil:
	// the agent does not watch its owner.
	OwnerSource OwnerSource
	// Logger receives the agent's logs. Default: discard.
	Logger *slog.Logger
}

// Validate reports every problem with the configuration at once. Zero
// values that have a default are accepted.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.ServerURL) == "" {
		errs = append(errs, errors.New("server URL is required (--server)"))
	}
	if c.Token == "" {
		errs = append(errs, errors.New("node secret is required (from the node's credentials: join first)"))
	}
	if c.Name != "" {
		if err := api.ValidateNodeName(c.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if c.WorkDir == "" {
		errs = append(errs, errors.New("work directory is required (--work-dir)"))
	}
	if c.CPUs < 0 {
		errs = append(errs, fmt.Errorf("cpus must not be negative (got %d)", c.CPUs))
	}
	if c.Slots < 0 {
		errs = append(errs, fmt.Errorf("slots must not be negative (got %d)", c.Slots))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"kill grace", c.KillGrace},
		{"log poll interval", c.LogPollInterval},
		{"outbox retry", c.OutboxRetry},
		{"request timeout", c.RequestTimeout},
		{"log retention", c.LogRetention},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative (got %s)", d.name, d.v))
		}
	}
	for i, t := range c.Tags {
		if strings.TrimSpace(t) == "" {
			errs = append(errs, fmt.Errorf("tag %d is empty", i+1))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.Facts)) {
		if !factKeyRE.MatchString(k) {
			errs = append(errs, fmt.Errorf("fact key %q is invalid: want %s", k, FactKeyPattern))
		}
		if v := c.Facts[k]; len(v) > MaxFactValueLen {
			errs = append(errs, fmt.Errorf("fact %q: value is %d bytes, at most %d allowed", k, len(v), MaxFactValueLen))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.SharedSpaces)) {
		if err := checkSharedSpace(name, c.SharedSpaces[name]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Limits on custom facts.
const (
	FactKeyPattern  = `^[a-z][a-z0-9_.-]{0,63}$`
	MaxFactValueLen = 1024
)

var factKeyRE = regexp.MustCompile(FactKeyPattern)

// ReadFactsFile reads custom facts from a YAML (or JSON) file holding one
// object of string values; scalars such as numbers are taken as their
// text. An empty file holds no facts. Keys and values are checked by
// Config.Validate.
func ReadFactsFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var facts map[string]string
	if err := yaml.Unmarshal(data, &facts); err != nil {
		return nil, fmt.Errorf("%s: want an object of string values: %w", path, err)
	}
	return facts, nil
}

// MergeFacts adds the key=value pairs of flags (the --fact flags) to the
// facts from a file; a flag wins over the file for the same key. fromFile
// is not modified. It returns nil when there are no facts.
func MergeFacts(fromFile map[string]string, flags []string) (map[string]string, error) {
	out := maps.Clone(fromFile)
	var errs []error
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("fact %q: want key=value", f))
			continue
		}
		if out == nil {
			out = make(map[string]string)
		}
		out[strings.TrimSpace(k)] = v
	}
	if len(out) == 0 {
		out = nil
	}
	return out, errors.Join(errs...)
}

// ParseSharedSpaces reads the NAME=PATH pairs of flags (the
// --shared-space flags) into a map of space name to local path, checking
// each as Config.Validate does: a known name, given once, and an absolute
// path to an existing directory. It returns nil when there are none.
func ParseSharedSpaces(flags []string) (map[string]string, error) {
	var out map[string]string
	var errs []error
	for _, f := range flags {
		name, dir, ok := strings.Cut(f, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("shared space %q: want NAME=PATH", f))
			continue
		}
		if _, dup := out[name]; dup {
			errs = append(errs, fmt.Errorf("shared space %q: given twice", name))
			continue
		}
		if err := checkSharedSpace(name, dir); err != nil {
			errs = append(errs, err)
			continue
		}
		if out == nil {
			out = make(map[string]string)
		}
		out[name] = filepath.Clean(dir)
	}
	return out, errors.Join(errs...)
}

// checkSharedSpace checks one shared space: its name is "global", "jobs"
// or "user:<username>", and dir an absolute path to an existing
// directory.
func checkSharedSpace(name, dir string) error {
	switch user, isUser := strings.CutPrefix(name, api.SharedSpaceUserPrefix); {
	case name == api.SharedSpaceGlobal, name == api.SharedSpaceJobs:
	case isUser:
		if !validSpaceUser(user) {
			return fmt.Errorf("shared space %q: %q is not a user name (no '/', spaces or control characters, not . or ..)", name, user)
		}
	default:
		return fmt.Errorf("shared space %q: unknown name: want %s, %s or %s<username>",
			name, api.SharedSpaceGlobal, api.SharedSpaceJobs, api.SharedSpaceUserPrefix)
	}
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("shared space %s: want an absolute path, got %q", name, dir)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("shared space %s: %w", name, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("shared space %s: %s is not a directory", name, dir)
	}
	return nil
}

// validSpaceUser reports whether user can name a user's space directory:
// one path element of at most 255 bytes, without spaces or control
// characters.
func validSpaceUser(user string) bool {
	if user == "" || user == "." || user == ".." || len(user) > 255 {
		return false
	}
	return !strings.ContainsFunc(user, func(r rune) bool {
		return r == '/' || r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r)
	})
}

// withDefaults fills in the zero values. It does not validate.
func (c Config) withDefaults() Config {
	if c.Name == "" {
		h, _ := os.Hostname()
		c.Name = SanitizeName(h)
	}
	if c.CPUs == 0 {
		c.CPUs = runtime.NumCPU()
	}
	if c.Slots == 0 {
		c.Slots = c.CPUs
	}
	if c.KillGrace == 0 {
		c.KillGrace = DefaultKillGrace
	}
	if c.LogPollInterval == 0 {
		c.LogPollInterval = DefaultLogPollInterval
	}
	if c.OutboxRetry == 0 {
		c.OutboxRetry = DefaultOutboxRetry
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.LogRetention == 0 {
		c.LogRetention = DefaultLogRetention
	}
	if c.ShrikeBin == "" {
		if exe, err := os.Executable(); err == nil {
			c.ShrikeBin = exe
		}
	}
	if len(c.LuaRunner) == 0 {
		if exe, err := os.Executable(); err == nil {
			c.LuaRunner = []string{exe, "node", "run-lua"}
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// SanitizeName turns a host name into a valid node name: every character
// other than a letter, digit, '-' or '_' becomes '-', leading separators
// are dropped and the result is cut to 63 characters. An empty result
// becomes "node".
func SanitizeName(host string) string {
	var b strings.Builder
	for _, r := range host {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.TrimLeft(b.String(), "-_")
	if len(s) > 63 {
		s = s[:63]
	}
	s = strings.TrimRight(s, "-")
	if s == "" {
		return "node"
	}
	return s
}
