package infra

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// sshFixture is an ssh infrastructure on a test sshd whose agent is the
// fake agent script.
type sshFixture struct {
	sshd    *testSSHD
	workDir string
	params  map[string]string
}

func newSSHFixture(t *testing.T) *sshFixture {
	t.Helper()
	sshd := startSSHD(t)
	tmp := t.TempDir()
	f := &sshFixture{sshd: sshd, workDir: filepath.Join(tmp, "work dir's"), params: map[string]string{
		"hosts":       sshd.addr + "," + sshd.addr,
		"user":        sshd.user,
		"private_key": sshd.privateKey,
		"known_hosts": "# the test sshd\n" + sshd.knownHosts + "\n",
		"agent_path":  writeFakeAgent(t, tmp),
		"nats_url":    "nats://10.1.2.3:4222",
		"agent_args":  "--log-level debug",
		"stop_grace":  "1s",
	}}
	f.params["work_dir"] = f.workDir
	return f
}

func (f *sshFixture) newInfra(t *testing.T, override map[string]string) Infrastructure {
	t.Helper()
	params := map[string]string{}
	for k, v := range f.params {
		params[k] = v
	}
	for k, v := range override {
		params[k] = v
	}
	inf, errs := New(api.PluginSpec{Type: "ssh", Params: params}, Env{Source: "src"})
	if errs != nil {
		t.Fatalf("New: %v", errs)
	}
	t.Cleanup(func() { inf.Close() })
	return inf
}

// deploy deploys a node, checks its handle and waits for its agent.
func (f *sshFixture) deploy(t *testing.T, inf Infrastructure, name string) (Deployed, int, []string) {
	t.Helper()
	creds := api.NodeCredentials{Name: name, Source: "src", Secret: "s3cret-" + name, NATSURL: "nats://server-side:4222"}
	h, err := inf.Deploy(context.Background(), Node{Name: name, Credentials: creds})
	if err != nil {
		t.Fatalf("Deploy %s: %v", name, err)
	}
	addr, pidText, _ := strings.Cut(h, "/")
	pid, err := strconv.Atoi(pidText)
	if addr != f.sshd.addr || err != nil {
		t.Fatalf("handle %q, want %s/PID", h, f.sshd.addr)
	}
	t.Cleanup(func() { killGroup(pid) })
	return Deployed{Name: name, Handle: h}, pid, waitForAgent(t, filepath.Join(f.workDir, name))
}

func TestSSHDeployCheckRelease(t *testing.T) {
	f := newSSHFixture(t)
	inf := f.newInfra(t, nil)
	if got := inf.Capacity(); got != 2 {
		t.Errorf("Capacity = %d, want 2 (one per hosts entry)", got)
	}

	n1, pid1, argv := f.deploy(t, inf, "n1")
	dir := filepath.Join(f.workDir, "n1")
	want := []string{"node", "--work", dir, "--credentials", filepath.Join(dir, CredentialsFile), "--log-level", "debug"}
	if !slices.Equal(argv, want) {
		t.Errorf("agent arguments\n got %q\nwant %q", argv, want)
	}
	if mode, _ := os.ReadFile(filepath.Join(dir, "creds.mode")); strings.TrimSpace(string(mode)) != "600" {
		t.Errorf("credentials file mode = %q, want 600", mode)
	}
	var creds api.NodeCredentials
	data, _ := os.ReadFile(filepath.Join(dir, "creds.seen"))
	if err := json.Unmarshal(data, &creds); err != nil || creds.Secret != "s3cret-n1" || creds.NATSURL != "nats://10.1.2.3:4222" {
		t.Errorf("credentials the agent read = %+v (%v), want its secret and nats_url", creds, err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("work directory mode = %v (%v), want 0700", st.Mode().Perm(), err)
	}
	if pgid, err := syscall.Getpgid(pid1); err != nil || pgid != pid1 {
		t.Errorf("agent's process group = %d (%v), want its own session (%d)", pgid, err, pid1)
	}

	n2, pid2, _ := f.deploy(t, inf, "n2")
	if _, err := inf.Deploy(context.Background(), Node{Name: "n3"}); err == nil || !strings.Contains(err.Error(), "all 2 host entries are in use") {
		t.Errorf("Deploy beyond the hosts = %v, want all entries in use", err)
	}
	if lost := inf.Check(context.Background(), []Deployed{n1, n2}); len(lost) != 0 {
		t.Errorf("Check of running agents = %v, want none lost", lost)
	}

	killGroup(pid1)
	var lost map[string]string
	waitFor(t, "Check to report n1 lost", func() bool {
		lost = inf.Check(context.Background(), []Deployed{n1, n2})
		return lost["n1"] != ""
	})
	if r := lost["n1"]; len(lost) != 1 || !strings.Contains(r, "process "+strconv.Itoa(pid1)+" on "+f.sshd.addr+" is gone") || !strings.Contains(r, "fake agent up") {
		t.Errorf("Check = %v, want only n1 lost, with the end of its log", lost)
	}
	// n1's host entry is free again.
	n3, pid3, _ := f.deploy(t, inf, "n3")

	child2 := readPID(t, filepath.Join(f.workDir, "n2", "child.pid"))
	if err := inf.Release(context.Background(), n2); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if !processGone(pid2) {
		t.Errorf("agent %d still runs after Release", pid2)
	}
	waitFor(t, "the agent's child to end", func() bool { return processGone(child2) })
	if err := inf.Release(context.Background(), n1); err != nil {
		t.Errorf("Release of a node already gone = %v, want nil", err)
	}
	if err := inf.Release(context.Background(), n3); err != nil || !processGone(pid3) {
		t.Errorf("Release n3 = %v, gone %v", err, processGone(pid3))
	}
}

func TestSSHAdoptsNodesAfterRestart(t *testing.T) {
	f := newSSHFixture(t)
	a, _, _ := f.deploy(t, f.newInfra(t, nil), "a")
	b, _, _ := f.deploy(t, f.newInfra(t, nil), "b")
	restarted := f.newInfra(t, nil)
	if lost := restarted.Check(context.Background(), []Deployed{a, b}); len(lost) != 0 {
		t.Fatalf("Check after restart = %v, want both alive", lost)
	}
	if _, err := restarted.Deploy(context.Background(), Node{Name: "c"}); err == nil {
		t.Errorf("Deploy after adopting 2 nodes on 2 entries succeeded, want all entries in use")
	}
}

func TestSSHHostKeyErrors(t *testing.T) {
	f := newSSHFixture(t)
	other := startSSHD(t) // its host key is not f's
	otherKey := strings.SplitN(other.knownHosts, " ", 2)[1]
	for name, tc := range map[string]struct{ knownHosts, want string }{
		"wrong key":      {"[127.0.0.1]:" + port(f.sshd.addr) + " " + otherKey, "does not match known_hosts"},
		"host not known": {"[127.0.0.1]:1 " + otherKey, "is not in known_hosts"},
	} {
		t.Run(name, func(t *testing.T) {
			inf := f.newInfra(t, map[string]string{"known_hosts": tc.knownHosts})
			_, err := inf.Deploy(context.Background(), Node{Name: "n1"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Deploy = %v, want %q", err, tc.want)
			}
			if _, statErr := os.Stat(filepath.Join(f.workDir, "n1")); statErr == nil {
				t.Errorf("Deploy wrote the node's directory despite the host key")
			}
		})
	}
}

func TestSSHInsecureIgnoreHostKey(t *testing.T) {
	f := newSSHFixture(t)
	inf := f.newInfra(t, map[string]string{"known_hosts": "", "insecure_ignore_host_key": "true"})
	d, _, _ := f.deploy(t, inf, "n1")
	if err := inf.Release(context.Background(), d); err != nil {
		t.Errorf("Release: %v", err)
	}
}

func TestSSHDeployReportsAMissingAgent(t *testing.T) {
	f := newSSHFixture(t)
	inf := f.newInfra(t, map[string]string{"agent_path": "/nonexistent/shrike"})
	_, err := inf.Deploy(context.Background(), Node{Name: "n1"})
	if err == nil || !strings.Contains(err.Error(), "not found (agent_path)") {
		t.Errorf("Deploy = %v, want the agent binary not found", err)
	}
	// The failed node's entry is free again.
	if _, _, _ = f.deploy(t, f.newInfra(t, nil), "n2"); t.Failed() {
		return
	}
}

func TestSSHCheckLeavesUnreachableHostsAlone(t *testing.T) {
	f := newSSHFixture(t)
	inf := f.newInfra(t, nil)
	down := "127.0.0.1:" + strconv.Itoa(freePort(t)) // nothing listens there
	lost := inf.Check(context.Background(), []Deployed{{Name: "n1", Handle: down + "/4242"}, {Name: "bad", Handle: "no-pid"}})
	if _, ok := lost["n1"]; ok {
		t.Errorf("Check = %v: a node on an unreachable host is not known to be lost", lost)
	}
	if !strings.Contains(lost["bad"], "bad handle") {
		t.Errorf("Check = %v, want the malformed handle reported", lost)
	}
}

func port(addr string) string {
	_, p, _ := strings.Cut(addr, ":")
	return p
}
