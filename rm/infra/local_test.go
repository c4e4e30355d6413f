package infra

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// localFixture is a local infrastructure whose agent is the fake agent
// script, with a channel its Notify signals.
type localFixture struct {
	env      Env
	inf      Infrastructure
	notified chan struct{}
}

func newLocalFixture(t *testing.T, params map[string]string) *localFixture {
	t.Helper()
	tmp := t.TempDir()
	f := &localFixture{notified: make(chan struct{}, 1)}
	f.env = Env{
		Source: "src", DataDir: filepath.Join(tmp, "data"), AgentPath: writeFakeAgent(t, tmp),
		Notify: func() {
			select {
			case f.notified <- struct{}{}:
			default:
			}
		},
	}
	f.inf = f.newInfra(t, params)
	return f
}

// newInfra builds another instance on the same data directory, as a
// restarted server would.
func (f *localFixture) newInfra(t *testing.T, params map[string]string) Infrastructure {
	t.Helper()
	inf, errs := New(api.PluginSpec{Type: "local", Params: params}, f.env)
	if errs != nil {
		t.Fatalf("New: %v", errs)
	}
	t.Cleanup(func() { inf.Close() })
	return inf
}

// deploy deploys a node and waits for its agent to be up.
func (f *localFixture) deploy(t *testing.T, name string) (Deployed, []string) {
	t.Helper()
	creds := api.NodeCredentials{Name: name, Source: "src", Secret: "s3cret-" + name, NATSURL: "nats://127.0.0.1:4222"}
	h, err := f.inf.Deploy(context.Background(), Node{Name: name, Credentials: creds})
	if err != nil {
		t.Fatalf("Deploy %s: %v", name, err)
	}
	pid, err := strconv.Atoi(h)
	if err != nil {
		t.Fatalf("handle %q is not a PID", h)
	}
	t.Cleanup(func() { killGroup(pid) })
	return Deployed{Name: name, Handle: h}, waitForAgent(t, filepath.Join(f.env.DataDir, name))
}

func (f *localFixture) waitNotified(t *testing.T) {
	t.Helper()
	waitFor(t, "Notify", func() bool {
		select {
		case <-f.notified:
			return true
		default:
			return false
		}
	})
}

func pidOf(t *testing.T, d Deployed) int {
	t.Helper()
	pid, err := strconv.Atoi(d.Handle)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestLocalDeployWritesCredentialsAndStartsAgent(t *testing.T) {
	f := newLocalFixture(t, map[string]string{"slots": "2", "tags": "gpu, fast", "agent_args": "--log-level  debug"})
	if got := f.inf.Capacity(); got != 4 {
		t.Errorf("Capacity = %d, want the default 4", got)
	}
	d, argv := f.deploy(t, "n1")
	dir := filepath.Join(f.env.DataDir, "n1")
	want := []string{"node", "--work", dir, "--credentials", filepath.Join(dir, CredentialsFile),
		"--slots", "2", "--tag", "gpu", "--tag", "fast", "--log-level", "debug"}
	if !slices.Equal(argv, want) {
		t.Errorf("agent arguments\n got %q\nwant %q", argv, want)
	}
	if mode, _ := os.ReadFile(filepath.Join(dir, "creds.mode")); strings.TrimSpace(string(mode)) != "600" {
		t.Errorf("credentials file mode = %q, want 600", mode)
	}
	var creds api.NodeCredentials
	data, _ := os.ReadFile(filepath.Join(dir, "creds.seen"))
	if err := json.Unmarshal(data, &creds); err != nil || creds.Secret != "s3cret-n1" || creds.Name != "n1" {
		t.Errorf("credentials the agent read = %+v (%v)", creds, err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("work directory mode = %v (%v), want 0700", st.Mode().Perm(), err)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, LogFile)); !strings.Contains(string(log), "fake agent up") {
		t.Errorf("agent.log = %q, want the agent's output", log)
	}
	if pgid, err := syscall.Getpgid(pidOf(t, d)); err != nil || pgid != pidOf(t, d) {
		t.Errorf("agent's process group = %d (%v), want its own (%d)", pgid, err, pidOf(t, d))
	}
	if lost := f.inf.Check(context.Background(), []Deployed{d}); len(lost) != 0 {
		t.Errorf("Check of a running agent = %v, want none lost", lost)
	}
}

func TestLocalCheckReportsEndedAgents(t *testing.T) {
	f := newLocalFixture(t, nil)
	d, _ := f.deploy(t, "n1")
	killGroup(pidOf(t, d))
	f.waitNotified(t)
	lost := f.inf.Check(context.Background(), []Deployed{d})
	if !strings.Contains(lost["n1"], "agent killed by signal 9") {
		t.Errorf("Check = %v, want n1 lost as killed", lost)
	}

	f2 := newLocalFixture(t, map[string]string{"agent_args": "--fail"})
	h, err := f2.inf.Deploy(context.Background(), Node{Name: "bad", Credentials: api.NodeCredentials{Name: "bad"}})
	if err != nil {
		t.Fatal(err)
	}
	f2.waitNotified(t)
	lost = f2.inf.Check(context.Background(), []Deployed{{Name: "bad", Handle: h}})
	if r := lost["bad"]; !strings.Contains(r, "agent exited with status 1") || !strings.Contains(r, "fatal: cannot reach nats") {
		t.Errorf("Check = %v, want bad lost with its status and the end of its log", lost)
	}
}

func TestLocalReleaseStopsTheProcessGroup(t *testing.T) {
	f := newLocalFixture(t, nil)
	d, _ := f.deploy(t, "n1")
	child := readPID(t, filepath.Join(f.env.DataDir, "n1", "child.pid"))
	if err := f.inf.Release(context.Background(), d); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if !processGone(pidOf(t, d)) {
		t.Errorf("agent %d still runs after Release", pidOf(t, d))
	}
	// The child ignores SIGTERM: only the group's SIGKILL ends it.
	waitFor(t, "the agent's child to end", func() bool { return processGone(child) })
	if err := f.inf.Release(context.Background(), d); err != nil {
		t.Errorf("Release of a node already gone = %v, want nil", err)
	}
}

func TestLocalReleaseKillsAnAgentThatIgnoresSIGTERM(t *testing.T) {
	f := newLocalFixture(t, map[string]string{"agent_args": "--ignore-term", "stop_grace": "100ms"})
	d, _ := f.deploy(t, "n1")
	if err := f.inf.Release(context.Background(), d); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if !processGone(pidOf(t, d)) {
		t.Errorf("agent %d still runs after Release", pidOf(t, d))
	}
	select {
	case <-f.notified:
		t.Errorf("Notify called for a released node")
	default:
	}
}

func TestLocalAdoptsAgentsAfterRestart(t *testing.T) {
	f := newLocalFixture(t, nil)
	a, _ := f.deploy(t, "a")
	b, _ := f.deploy(t, "b")
	f.inf.Close() // the server stops; its agents run on
	restarted := f.newInfra(t, nil)
	if lost := restarted.Check(context.Background(), []Deployed{a, b}); len(lost) != 0 {
		t.Fatalf("Check after restart = %v, want both alive", lost)
	}

	killGroup(pidOf(t, a))
	var lost map[string]string
	waitFor(t, "Check to report a lost", func() bool {
		lost = restarted.Check(context.Background(), []Deployed{a, b})
		return lost["a"] != ""
	})
	if want := "process " + a.Handle + " is gone"; lost["a"] != want || len(lost) != 1 {
		t.Errorf("Check = %v, want only a: %q", lost, want)
	}

	if err := restarted.Release(context.Background(), b); err != nil {
		t.Fatalf("Release of an adopted agent: %v", err)
	}
	if !processGone(pidOf(t, b)) {
		t.Errorf("adopted agent %d still runs after Release", pidOf(t, b))
	}
}

func TestLocalLeavesRecycledPIDsAlone(t *testing.T) {
	f := newLocalFixture(t, nil)
	other := exec.Command("sleep", "100000")
	other.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Process.Kill(); other.Wait() })
	// A node whose PID now belongs to another program.
	d := Deployed{Name: "n1", Handle: strconv.Itoa(other.Process.Pid)}
	if lost := f.inf.Check(context.Background(), []Deployed{d}); lost["n1"] == "" {
		t.Errorf("Check = %v, want n1 lost (its PID is another program's)", lost)
	}
	if err := f.inf.Release(context.Background(), d); err != nil {
		t.Errorf("Release = %v, want nil (the node is gone)", err)
	}
	if processGoneNow(other.Process.Pid) {
		t.Errorf("Release killed a process that was not the node's")
	}
}

func TestLocalDeployRefusesBadNames(t *testing.T) {
	f := newLocalFixture(t, nil)
	_, err := f.inf.Deploy(context.Background(), Node{Name: "../escape"})
	if err == nil || !strings.Contains(err.Error(), "invalid node name") {
		t.Errorf("Deploy ../escape = %v, want an invalid name error", err)
	}
}
