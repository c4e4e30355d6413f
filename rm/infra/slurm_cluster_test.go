package infra

import (
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slurmCluster is a real one-host Slurm cluster for tests: munged,
// slurmctld and slurmd run as children of the test, with their key,
// state, spool, logs and configuration in a temporary directory. Its
// one node has 8 CPUs (whatever the host has) and 1 GiB in the default
// partition "debug".
type slurmCluster struct {
	dir  string
	conf string // slurm.conf, for SLURM_CONF
	node string
}

// slurmHangTimeout only catches hangs: Slurm starts and runs a job in a
// second or two.
const slurmHangTimeout = time.Minute

// startSlurmCluster brings a cluster up and stops it (cancelling its jobs)
// when the test ends. Without the Slurm and munge programs, or without
// root, the test is skipped, or fails in CI (hack/test-deps-slurm.sh
// installs them).
func startSlurmCluster(t *testing.T) *slurmCluster {
	t.Helper()
	munged, slurmctld, slurmd := slurmProgram(t, "munged"), slurmProgram(t, "slurmctld"), slurmProgram(t, "slurmd")
	for _, name := range []string{"sbatch", "squeue", "scancel", "sinfo", "scontrol"} {
		slurmProgram(t, name)
	}
	if os.Geteuid() != 0 {
		slurmUnavailable(t, "the Slurm test cluster runs its daemons as root")
	}
	// Not t.TempDir: munged wants every directory up to its socket
	// searchable by all, and a socket path is short.
	dir, err := os.MkdirTemp("", "shrike-slurm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, sub := range []string{"munge", "state", "spool"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host, _, _ = strings.Cut(host, ".")
	c := &slurmCluster{dir: dir, conf: filepath.Join(dir, "slurm.conf"), node: host}

	socket := filepath.Join(dir, "munge", "munge.socket")
	key := make([]byte, 1024)
	rand.Read(key)
	keyFile := filepath.Join(dir, "munge", "munge.key")
	if err := os.WriteFile(keyFile, key, 0o400); err != nil {
		t.Fatal(err)
	}
	c.start(t, munged, "-F", "--force", "--key-file="+keyFile, "--socket="+socket,
		"--pid-file="+filepath.Join(dir, "munge", "munged.pid"), "--log-file="+filepath.Join(dir, "munge", "munged.log"),
		"--seed-file="+filepath.Join(dir, "munge", "munged.seed"))
	slurmEventually(t, "munged's socket", func() bool { _, err := os.Stat(socket); return err == nil })

	ctldPort, slurmdPort := slurmFreePort(t), slurmFreePort(t)
	for slurmdPort == ctldPort {
		slurmdPort = slurmFreePort(t)
	}
	if err := os.WriteFile(c.conf, []byte(c.config(socket, ctldPort, slurmdPort)), 0o644); err != nil {
		t.Fatal(err)
	}
	c.start(t, slurmctld, "-D", "-f", c.conf)
	c.start(t, slurmd, "-D", "-N", host, "-f", c.conf)
	slurmEventually(t, "the node to be idle", func() bool {
		out, err := c.command("sinfo", "--noheader", "--format=%T", "--nodes="+host)
		return err == nil && strings.TrimSpace(out) == "idle"
	})
	t.Cleanup(func() { c.cancelJobs(t) }) // before the daemons stop
	return c
}

// config is the cluster's slurm.conf: munge on our own socket, no
// cgroups, no accounting, and jobs scheduled as soon as they come.
func (c *slurmCluster) config(socket string, ctldPort, slurmdPort int) string {
	lines := []string{
		"ClusterName=shrike-test",
		fmt.Sprintf("SlurmctldHost=%s(127.0.0.1)", c.node),
		fmt.Sprintf("SlurmctldPort=%d", ctldPort),
		fmt.Sprintf("SlurmdPort=%d", slurmdPort),
		"SlurmUser=root",
		"SlurmdUser=root",
		"AuthType=auth/munge",
		"AuthInfo=socket=" + socket,
		"CredType=cred/munge",
		"StateSaveLocation=" + filepath.Join(c.dir, "state"),
		"SlurmdSpoolDir=" + filepath.Join(c.dir, "spool"),
		"SlurmctldPidFile=" + filepath.Join(c.dir, "slurmctld.pid"),
		"SlurmdPidFile=" + filepath.Join(c.dir, "slurmd.pid"),
		"SlurmctldLogFile=" + filepath.Join(c.dir, "slurmctld.log"),
		"SlurmdLogFile=" + filepath.Join(c.dir, "slurmd.log"),
		"ProctrackType=proctrack/linuxproc",
		"TaskPlugin=task/none",
		"MpiDefault=none",
		"MailProg=/bin/true",
		"JobAcctGatherType=jobacct_gather/none",
		"AccountingStorageType=accounting_storage/none",
		"SchedulerType=sched/builtin",
		"SchedulerParameters=batch_sched_delay=0,sched_min_interval=0",
		"SelectType=select/cons_tres",
		"SelectTypeParameters=CR_CPU",
		"SlurmdParameters=config_overrides", // 8 CPUs on any host
		"ReturnToService=2",
		"KillWait=2",
		fmt.Sprintf("NodeName=%s NodeAddr=127.0.0.1 CPUs=8 RealMemory=1024 State=UNKNOWN", c.node),
		"PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
	}
	return strings.Join(lines, "\n") + "\n"
}

// start runs a daemon in the foreground, its output in dir/NAME.out, and
// stops it (SIGTERM, then SIGKILL) when the test ends.
func (c *slurmCluster) start(t *testing.T, path string, args ...string) {
	t.Helper()
	name := filepath.Base(path)
	outPath := filepath.Join(c.dir, name+".out")
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "SLURM_CONF="+c.conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(done) }()
	t.Cleanup(func() {
		if t.Failed() {
			c.showLogs(t, name)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
}

// showLogs logs the end of a daemon's output and log file.
func (c *slurmCluster) showLogs(t *testing.T, name string) {
	for _, p := range []string{name + ".out", name + ".log"} {
		if data, err := os.ReadFile(filepath.Join(c.dir, p)); err == nil {
			text := string(data)
			if len(text) > 3000 {
				text = "…" + text[len(text)-3000:]
			}
			t.Logf("%s:\n%s", p, text)
		}
	}
}

// cancelJobs cancels every job and waits until none is left, so that no
// job step outlives the cluster.
func (c *slurmCluster) cancelJobs(t *testing.T) {
	if _, err := c.command("scancel", "--user=root"); err != nil {
		t.Logf("scancel: %v", err)
	}
	deadline := time.Now().Add(slurmHangTimeout)
	for time.Now().Before(deadline) {
		if out, err := c.command("squeue", "--noheader"); err != nil || strings.TrimSpace(out) == "" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("jobs still running after scancel")
}

// command runs a Slurm client command against the cluster.
func (c *slurmCluster) command(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "SLURM_CONF="+c.conf)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		err = fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(ee.Stderr)))
	}
	return string(out), err
}

// job returns a job's fields as `scontrol show job` gives them.
func (c *slurmCluster) job(t *testing.T, id string) map[string]string {
	t.Helper()
	out, err := c.command("scontrol", "--oneliner", "show", "job", id)
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, kv := range strings.Fields(out) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			fields[k] = v
		}
	}
	return fields
}

// slurmProgram finds a Slurm or munge program in PATH or the sbin
// directories (which a non-login PATH may lack).
func slurmProgram(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); slurmIsExecutable(p) {
			return p
		}
	}
	slurmUnavailable(t, name+" not found (run hack/test-deps-slurm.sh as root)")
	return ""
}

func slurmIsExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// slurmUnavailable skips the test, or fails it in CI, where Slurm must
// be there.
func slurmUnavailable(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("Slurm test cluster: %s", why)
	}
	t.Skipf("Slurm test cluster: %s", why)
}

// slurmFreePort returns a TCP port free on this host now.
func slurmFreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// slurmEventually polls cond until it holds; the timeout only catches
// hangs.
func slurmEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(slurmHangTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", slurmHangTimeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
