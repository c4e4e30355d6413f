package infra

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/policies"
)

var sshKind = Kind{
	Name:    "ssh",
	Summary: "The server starts node agents on hosts over SSH, one node per host listed, each in <work_dir>/<node name> on its host.",
	Params:  sshParams,
	New:     newSSH,
}

var sshParams = []api.Param{
	{Name: "hosts", Type: api.ParamList, Required: true, Help: `hosts to start agents on, "host" or "host:port"; one node per entry (list a host again for more nodes on it)`},
	{Name: "port", Type: api.ParamInt, Default: "22", Help: "SSH port of the hosts listed without one"},
	{Name: "user", Type: api.ParamString, Required: true, Help: "user to log in as"},
	{Name: "private_key", Type: api.ParamText, Secret: true, Help: "private key to log in with (PEM or OpenSSH format, without passphrase); private_key or password is required"},
	{Name: "password", Type: api.ParamString, Secret: true, Help: "password to log in with"},
	{Name: "known_hosts", Type: api.ParamText, Help: "known_hosts lines the hosts' keys must match (`ssh-keyscan HOST` prints them)"},
	{Name: "insecure_ignore_host_key", Type: api.ParamBool, Default: "false", Help: "accept any host key when known_hosts is empty (a man in the middle could take the nodes' credentials)"},
	{Name: "agent_path", Type: api.ParamString, Default: "shrike", Help: "the shrike binary on the hosts"},
	{Name: "work_dir", Type: api.ParamString, Default: "~/.shrike/nodes", Help: "directory on the hosts holding each node's work directory, <work_dir>/<node name>"},
	{Name: "nats_url", Type: api.ParamString, Help: "the server's NATS URL as the hosts reach it (default: the one the server gives its nodes)"},
	{Name: "agent_args", Type: api.ParamString, Help: "more arguments of `shrike node`, separated by spaces"},
	{Name: "connect_timeout", Type: api.ParamDuration, Default: "10s", Help: "how long connecting and logging in to a host may take"},
	{Name: "stop_grace", Type: api.ParamDuration, Default: "10s", Help: "how long a released agent has between SIGTERM and SIGKILL"},
}

// sshInfra starts agents on hosts over SSH. It connects per operation,
// so it keeps no connection and nothing it needs survives only in memory:
// which host entry a node uses is rebuilt from handles ("host:port/pid").
type sshInfra struct {
	env       Env
	slots     []string // one "host:port" per node the hosts can hold
	user      string
	auth      []ssh.AuthMethod
	hostKeys  *hostKeys
	agentPath string
	workDir   string
	natsURL   string
	extra     []string
	timeout   time.Duration
	grace     time.Duration

	mu   sync.Mutex
	used map[string]int // node name → index in slots
}

var _ Infrastructure = (*sshInfra)(nil)

func newSSH(params map[string]string, env Env) (Infrastructure, []api.FieldError) {
	return parse(sshParams, params, func(v *policies.Values) *sshInfra {
		s := &sshInfra{
			env: env, user: v.String("user"), agentPath: v.String("agent_path"), workDir: v.String("work_dir"),
			natsURL: v.String("nats_url"), extra: strings.Fields(v.String("agent_args")),
			timeout: v.Duration("connect_timeout"), grace: v.Duration("stop_grace"), used: map[string]int{},
		}
		port := v.Int("port")
		v.Check(port >= 1 && port <= 65535, "port", "must be between 1 and 65535")
		for _, h := range v.List("hosts") {
			addr, err := hostAddr(h, port)
			v.Check(err == nil, "hosts", "%v", err)
			s.slots = append(s.slots, addr)
		}
		s.auth = sshAuth(v)
		s.hostKeys = sshHostKeys(v)
		v.Check(s.timeout > 0, "connect_timeout", "must be more than 0")
		v.Check(s.grace > 0, "stop_grace", "must be more than 0")
		if s.natsURL != "" {
			u, err := url.Parse(s.natsURL)
			v.Check(err == nil && u.Scheme != "" && u.Host != "", "nats_url", "%q is not a URL like nats://10.0.0.5:4222", s.natsURL)
		}
		return s
	})
}

// hostAddr turns a hosts entry into "host:port".
func hostAddr(entry string, port int) (string, error) {
	if host, p, err := net.SplitHostPort(entry); err == nil {
		n, err := strconv.Atoi(p)
		if host == "" || err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("%q is not host or host:port", entry)
		}
		return net.JoinHostPort(host, p), nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(entry, "["), "]")
	if host == "" || strings.ContainsAny(host, "/ []") || (strings.Contains(host, ":") && net.ParseIP(host) == nil) {
		return "", fmt.Errorf("%q is not host or host:port", entry)
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// sshAuth checks the login parameters and returns the ways to log in.
func sshAuth(v *policies.Values) []ssh.AuthMethod {
	var auth []ssh.AuthMethod
	if key := v.String("private_key"); key != "" {
		signer, err := ssh.ParsePrivateKey([]byte(key))
		var pass *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &pass):
			v.Check(false, "private_key", "is protected by a passphrase; give a key without one")
		case err != nil:
			v.Check(false, "private_key", "is not a private key in PEM or OpenSSH format")
		default:
			auth = append(auth, ssh.PublicKeys(signer))
		}
	}
	if pw := v.String("password"); pw != "" {
		auth = append(auth, ssh.Password(pw))
	}
	v.Check(v.Has("private_key") || v.Has("password"), "private_key", "private_key or password is required")
	return auth
}

// sshHostKeys checks the host key parameters: known_hosts, or an explicit
// choice to trust any key.
func sshHostKeys(v *policies.Values) *hostKeys {
	text, insecure := v.String("known_hosts"), v.Bool("insecure_ignore_host_key")
	switch {
	case !v.Has("insecure_ignore_host_key"):
		return nil // reported already
	case text == "" && !insecure:
		v.Check(false, "known_hosts", "required unless insecure_ignore_host_key is true (trusting any host key lets a man in the middle take the nodes' credentials)")
		return nil
	case text != "" && insecure:
		v.Check(false, "insecure_ignore_host_key", "must be false when known_hosts is given")
		return nil
	case insecure:
		return &hostKeys{insecure: true}
	}
	hk, err := parseKnownHosts(text)
	v.Check(err == nil, "known_hosts", "%v", err)
	return hk
}

func (s *sshInfra) Capacity() int { return len(s.slots) }

// Close has nothing to stop: connections last one operation.
func (s *sshInfra) Close() error { return nil }

// reserve picks the first host entry no node of this infrastructure uses.
func (s *sshInfra) reserve(name string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.used, name)
	taken := make([]bool, len(s.slots))
	for _, i := range s.used {
		taken[i] = true
	}
	for i := range s.slots {
		if !taken[i] {
			s.used[name] = i
			return i, nil
		}
	}
	return 0, fmt.Errorf("all %d host entries are in use", len(s.slots))
}

// adopt records that a running node uses an entry of addr, after a
// server restart, unless it is recorded already.
func (s *sshInfra) adopt(name, addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.used[name]; ok {
		return
	}
	taken := make([]bool, len(s.slots))
	for _, i := range s.used {
		taken[i] = true
	}
	for i, a := range s.slots {
		if a == addr && !taken[i] {
			s.used[name] = i
			return
		}
	}
}

// free forgets the entry a node used.
func (s *sshInfra) free(name string) {
	s.mu.Lock()
	delete(s.used, name)
	s.mu.Unlock()
}
