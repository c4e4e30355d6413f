package infra

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/policies"
)

var localKind = Kind{
	Name:    "local",
	Summary: "The server starts node agents as processes on its own host, each in <data dir>/<node name>.",
	Params:  localParams,
	New:     newLocal,
}

var localParams = []api.Param{
	{Name: "max_nodes", Type: api.ParamInt, Default: "4", Help: "most agents the source runs at once"},
	{Name: "slots", Type: api.ParamInt, Help: "tasks each agent runs at once (--slots; default: its CPUs)"},
	{Name: "tags", Type: api.ParamList, Help: "tags of the nodes, comma-separated (a --tag each)"},
	{Name: "agent_args", Type: api.ParamString, Help: "more arguments of `shrike node`, separated by spaces"},
	{Name: "stop_grace", Type: api.ParamDuration, Default: "10s", Help: "how long a released agent has between SIGTERM and SIGKILL"},
}

func newLocal(params map[string]string, env Env) (Infrastructure, []api.FieldError) {
	return parse(localParams, params, func(v *policies.Values) *local {
		v.Check(v.Int("max_nodes") >= 1, "max_nodes", "must be at least 1")
		v.Check(!v.Has("slots") || v.Int("slots") >= 1, "slots", "must be at least 1")
		v.Check(v.Duration("stop_grace") > 0, "stop_grace", "must be more than 0")
		var flags []string
		if v.Has("slots") {
			flags = append(flags, "--slots", strconv.Itoa(v.Int("slots")))
		}
		for _, t := range v.List("tags") {
			flags = append(flags, "--tag", t)
		}
		flags = append(flags, strings.Fields(v.String("agent_args"))...)
		return &local{env: env, maxNodes: v.Int("max_nodes"), flags: flags, grace: v.Duration("stop_grace"), children: map[int]*child{}}
	})
}

// local runs agents as processes of the server's host. Each runs in its
// own session, so it outlives a server restart; the server that started
// it reaps it and learns its exit at once, a later one (adopting it)
// checks its PID.
type local struct {
	env      Env
	maxNodes int
	flags    []string // agent flags after --work and --credentials
	grace    time.Duration

	mu       sync.Mutex
	children map[int]*child // by PID: the agents this instance started
	closed   bool
}

// child is an agent this instance started.
type child struct {
	name      string
	done      chan struct{} // closed once it is reaped
	reason    string        // why it ended; set before done is closed
	releasing bool          // Release stops it: its end is no news
}

var _ Infrastructure = (*local)(nil)

func (l *local) Capacity() int { return l.maxNodes }

func (l *local) dir(name string) string { return filepath.Join(l.env.DataDir, name) }

func (l *local) Deploy(ctx context.Context, n Node) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := api.ValidateNodeName(n.Name); err != nil {
		return "", err
	}
	if l.env.AgentPath == "" || l.env.DataDir == "" {
		return "", errors.New("local infrastructure: the server has no agent binary or data directory")
	}
	dir := l.dir(n.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("node work directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("node work directory: %w", err)
	}
	if err := writeCredentials(dir, n.Credentials); err != nil {
		return "", err
	}
	logf, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return "", fmt.Errorf("agent log: %w", err)
	}
	defer logf.Close() // the agent has its own copy
	cmd := exec.Command(l.env.AgentPath, agentArgs(dir, filepath.Join(dir, CredentialsFile), l.flags...)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // survives the server; its group is the node's
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start agent: %w", err)
	}
	c := &child{name: n.Name, done: make(chan struct{})}
	l.mu.Lock()
	l.children[cmd.Process.Pid] = c
	l.mu.Unlock()
	go l.reap(cmd, c, dir)
	l.logger().Info("local agent started", "node", n.Name, "pid", cmd.Process.Pid, "dir", dir)
	return strconv.Itoa(cmd.Process.Pid), nil
}

// reap waits for a child to end, keeps why, and tells the server unless
// the end was asked for.
func (l *local) reap(cmd *exec.Cmd, c *child, dir string) {
	err := cmd.Wait()
	reason := fmt.Sprintf("agent ended: %v", err) // when it cannot be waited for
	if cmd.ProcessState != nil {
		reason = exitReason(cmd.ProcessState)
	}
	if tail := logTail(filepath.Join(dir, LogFile)); tail != "" {
		reason += ": " + tail
	}
	l.mu.Lock()
	c.reason = reason
	close(c.done)
	news := !c.releasing && !l.closed
	l.mu.Unlock()
	if news {
		l.logger().Warn("local agent ended", "node", c.name, "reason", reason)
		if l.env.Notify != nil {
			l.env.Notify()
		}
	}
}

func exitReason(st *os.ProcessState) string {
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("agent killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
	}
	return fmt.Sprintf("agent exited with status %d", st.ExitCode())
}

func (l *local) Check(_ context.Context, nodes []Deployed) map[string]string {
	lost := map[string]string{}
	for _, d := range nodes {
		pid, err := parsePID(d.Handle)
		if err != nil {
			lost[d.Name] = err.Error()
			continue
		}
		l.mu.Lock()
		c := l.children[pid]
		l.mu.Unlock()
		if c != nil && c.name == d.Name {
			select {
			case <-c.done:
				lost[d.Name] = c.reason
			default:
			}
			continue
		}
		if !agentAlive(pid, l.dir(d.Name)) {
			lost[d.Name] = fmt.Sprintf("process %d is gone", pid)
		}
	}
	return lost
}

func (l *local) Release(ctx context.Context, d Deployed) error {
	pid, err := parsePID(d.Handle)
	if err != nil {
		return err
	}
	l.mu.Lock()
	c := l.children[pid]
	if c != nil && c.name != d.Name {
		c = nil
	}
	if c != nil {
		c.releasing = true
	}
	l.mu.Unlock()
	if c == nil { // adopted: make sure the PID is still its agent
		if !agentAlive(pid, l.dir(d.Name)) {
			return nil
		}
		c = &child{name: d.Name, done: l.watch(ctx, pid, d.Name)}
	}
	err = stopGroup(ctx, pid, c.done, l.grace)
	l.mu.Lock()
	if l.children[pid] == c {
		delete(l.children, pid)
	}
	l.mu.Unlock()
	if err != nil {
		return fmt.Errorf("release node %s (pid %d): %w", d.Name, pid, err)
	}
	return nil
}

// watch returns a channel closed when an adopted agent (not our child,
// so it cannot be waited for) is gone or ctx ends.
func (l *local) watch(ctx context.Context, pid int, name string) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for agentAlive(pid, l.dir(name)) {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}

// stopGroup sends SIGTERM to the process group pid leads, SIGKILL to what
// is left of it after grace, and waits for done (the leader's end).
func stopGroup(ctx context.Context, pid int, done <-chan struct{}, grace time.Duration) error {
	signalGroup(pid, syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	case <-ctx.Done():
	}
	select {
	case <-done:
		// The leader is gone (its PID may be reused): only the group, if
		// some of it lingers, is still the node's.
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		return ctx.Err() // a watch of an adopted agent ends early with ctx
	default:
		signalGroup(pid, syscall.SIGKILL)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// signalGroup signals the process group pid leads, or pid alone when it
// leads none.
func signalGroup(pid int, sig syscall.Signal) {
	if err := syscall.Kill(-pid, sig); errors.Is(err, syscall.ESRCH) {
		_ = syscall.Kill(pid, sig)
	}
}

// Close stops notifications. The agents run on; the goroutines that wait
// for them (an exited child must be reaped) end with them.
func (l *local) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return nil
}

func (l *local) logger() *slog.Logger {
	if l.env.Logger != nil {
		return l.env.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func parsePID(handle string) (int, error) {
	pid, err := strconv.Atoi(handle)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("bad handle %q: want a process ID", handle)
	}
	return pid, nil
}
