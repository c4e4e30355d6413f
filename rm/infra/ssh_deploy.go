package infra

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// aliveFunc is the shell function `alive PID NAME`: true when PID runs
// and is the agent of node NAME (its command line names the node's
// credentials file), so a recycled PID is not taken for it. Without /proc
// it trusts the PID.
const aliveFunc = `alive() { kill -0 "$1" 2>/dev/null || return 1; [ -r "/proc/$1/cmdline" ] || return 0; tr '\000' '\n' <"/proc/$1/cmdline" | grep -qF -- "/$2/` + CredentialsFile + `"; }
`

// nodeDir is the shell expression of a node's work directory on a host.
func (s *sshInfra) nodeDir(name string) string {
	return shellPath(strings.TrimSuffix(s.workDir, "/")) + "/" + shellQuote(name)
}

func (s *sshInfra) Deploy(ctx context.Context, n Node) (string, error) {
	if err := api.ValidateNodeName(n.Name); err != nil {
		return "", err
	}
	slot, err := s.reserve(n.Name)
	if err != nil {
		return "", err
	}
	addr := s.slots[slot]
	pid, err := s.start(ctx, addr, n)
	if err != nil {
		s.free(n.Name)
		return "", fmt.Errorf("start agent of %s: %w", n.Name, err)
	}
	s.logger().Info("ssh agent started", "node", n.Name, "host", addr, "pid", pid)
	return addr + "/" + strconv.Itoa(pid), nil
}

// start writes the node's credentials on the host at addr and starts its
// agent there, detached (its own session, output to its log); it returns
// the agent's PID.
func (s *sshInfra) start(ctx context.Context, addr string, n Node) (int, error) {
	creds := n.Credentials
	if s.natsURL != "" {
		creds.NATSURL = s.natsURL
	}
	data, err := json.MarshalIndent(creds, "", "  ")
	if err != nil {
		return 0, err
	}
	agent := shellPath(s.agentPath)
	args := append([]string{shellPath(s.agentPath)}, agentArgs(`"$d"`, `"$d"/`+CredentialsFile)...)
	if len(s.extra) > 0 {
		args = append(args, shellWords(s.extra))
	}
	script := `set -e
umask 077
d=` + s.nodeDir(n.Name) + `
command -v ` + agent + ` >/dev/null 2>&1 || { echo "agent binary "` + agent + `" not found (agent_path)" >&2; exit 127; }
mkdir -p "$d"
chmod 700 "$d"
cat >"$d/` + CredentialsFile + `.tmp"
mv -f "$d/` + CredentialsFile + `.tmp" "$d/` + CredentialsFile + `"
cd "$d"
s=; if command -v setsid >/dev/null 2>&1; then s=setsid; fi
nohup $s ` + strings.Join(args, " ") + ` >>"$d/` + LogFile + `" 2>&1 </dev/null &
echo $!
`
	out, err := s.run(ctx, addr, script, append(data, '\n'))
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("on %s: the start script printed %q, not a PID", addr, tailLines(out, 2))
	}
	return pid, nil
}

func (s *sshInfra) Release(ctx context.Context, d Deployed) error {
	addr, pid, err := parseSSHHandle(d.Handle)
	if err != nil {
		return err
	}
	grace := int(math.Ceil(s.grace.Seconds()))
	p, name := strconv.Itoa(pid), shellQuote(d.Name)
	// TERM the agent's session (its group), KILL it after the grace, wait
	// for it to go. A PID that is not the node's agent is gone already.
	script := aliveFunc + `pid=` + p + `
alive $pid ` + name + ` || exit 0
kill -TERM -$pid 2>/dev/null || kill -TERM $pid 2>/dev/null || exit 0
end=$(( $(date +%s) + ` + strconv.Itoa(grace) + ` ))
while alive $pid ` + name + ` && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1 2>/dev/null || sleep 1; done
if alive $pid ` + name + `; then kill -KILL -$pid 2>/dev/null || kill -KILL $pid 2>/dev/null; else kill -KILL -$pid 2>/dev/null; fi
while alive $pid ` + name + `; do sleep 0.1 2>/dev/null || sleep 1; done
exit 0
`
	if _, err := s.run(ctx, addr, script, nil); err != nil {
		return fmt.Errorf("release node %s: %w", d.Name, err)
	}
	s.free(d.Name)
	s.logger().Info("ssh agent stopped", "node", d.Name, "host", addr, "pid", pid)
	return nil
}

// parseSSHHandle splits a handle "host:port/pid".
func parseSSHHandle(h string) (addr string, pid int, err error) {
	i := strings.LastIndexByte(h, '/')
	if i > 0 {
		addr = h[:i]
		pid, err = strconv.Atoi(h[i+1:])
	}
	if i <= 0 || err != nil || pid <= 0 {
		return "", 0, fmt.Errorf("bad handle %q: want host:port/pid", h)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", 0, fmt.Errorf("bad handle %q: want host:port/pid", h)
	}
	return addr, pid, nil
}
