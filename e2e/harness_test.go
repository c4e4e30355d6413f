package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// shrikeBin is the binary built by TestMain.
var shrikeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shrike-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shrikeBin = filepath.Join(dir, "shrike")
	build := exec.Command("go", "build", "-o", shrikeBin, "../cmd/shrike")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building shrike:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// grid is a server process and its node processes.
type grid struct {
	t        *testing.T
	dir      string
	dataDir  string
	httpPort int
	natsPort int
	server   *exec.Cmd
	nodes    map[string]*exec.Cmd
	client   *api.Client // logged in as admin
	token    string
}

// testConfig has short intervals so that liveness tests take seconds, yet
// wide enough margins that a loaded CI machine does not lose nodes.
const testConfig = `heartbeat_interval: 250ms
heartbeat_timeout: 3s
dispatch_grace: 3s
kill_grace: 2s
schedule_interval: 200ms
request_timeout: 2s
sqlite_synchronous: NORMAL
policy_interval: 300ms
infra_check_interval: 500ms
deploy_timeout: 30s
`

func newGrid(t *testing.T) *grid {
	t.Helper()
	return newGridConfig(t, "")
}

// newGridConfig is newGrid with more server configuration (YAML keys
// appended to testConfig).
func newGridConfig(t *testing.T, extra string) *grid {
	t.Helper()
	dir := t.TempDir()
	g := &grid{t: t, dir: dir, dataDir: filepath.Join(dir, "server"), httpPort: freePort(t), natsPort: freePort(t), nodes: map[string]*exec.Cmd{}}
	if err := os.WriteFile(filepath.Join(dir, "server.yaml"), []byte(testConfig+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	g.startServer()
	t.Cleanup(g.stopAll)
	pw, err := os.ReadFile(filepath.Join(g.dataDir, "admin-password"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	login, err := api.NewClient(g.url(), "").Login(ctx, "admin", strings.TrimSpace(string(pw)))
	if err != nil {
		t.Fatalf("admin login: %v", err)
	}
	g.token = login.Token
	g.client = api.NewClient(g.url(), login.Token)
	return g
}

func (g *grid) url() string     { return fmt.Sprintf("http://127.0.0.1:%d", g.httpPort) }
func (g *grid) natsURL() string { return fmt.Sprintf("nats://127.0.0.1:%d", g.natsPort) }

// startServer starts the server process and waits for /healthz.
func (g *grid) startServer() {
	g.t.Helper()
	cmd := exec.Command(shrikeBin, "server", "--config", filepath.Join(g.dir, "server.yaml"),
		"--data-dir", g.dataDir, "--listen", fmt.Sprintf("127.0.0.1:%d", g.httpPort),
		"--nats-listen", fmt.Sprintf("127.0.0.1:%d", g.natsPort), "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logFile(g.t, g.dir, "server"), logFile(g.t, g.dir, "server")
	if err := cmd.Start(); err != nil {
		g.t.Fatal(err)
	}
	g.server = cmd
	waitFor(g.t, 20*time.Second, "server health", func() bool {
		_, err := api.NewClient(g.url(), "").Health(context.Background())
		return err == nil
	})
}

// killServer kills the server with SIGKILL: no clean shutdown.
func (g *grid) killServer() {
	g.t.Helper()
	_ = g.server.Process.Kill()
	_ = g.server.Wait()
}

// startNode starts a node agent process.
func (g *grid) startNode(name string, slots int, extra ...string) *exec.Cmd {
	g.t.Helper()
	args := append([]string{"node", "--server", g.url(), "--token-file", filepath.Join(g.dataDir, "node-token"),
		"--name", name, "--slots", fmt.Sprint(slots), "--cpus", fmt.Sprint(slots),
		"--work-dir", filepath.Join(g.dir, "node-"+name), "--log-level", "warn"}, extra...)
	cmd := exec.Command(shrikeBin, args...)
	cmd.Stdout, cmd.Stderr = logFile(g.t, g.dir, "node-"+name), logFile(g.t, g.dir, "node-"+name)
	if err := cmd.Start(); err != nil {
		g.t.Fatal(err)
	}
	g.nodes[name] = cmd
	return cmd
}

// waitNodes waits until the named nodes are registered and ready (FREE or
// BUSY).
func (g *grid) waitNodes(names ...string) {
	g.t.Helper()
	waitFor(g.t, 15*time.Second, "nodes "+strings.Join(names, ","), func() bool {
		nodes, err := g.client.ListNodes(context.Background())
		if err != nil {
			return false
		}
		alive := map[string]bool{}
		for _, n := range nodes {
			alive[n.Name] = n.State == api.NodeFree || n.State == api.NodeBusy
		}
		for _, n := range names {
			if !alive[n] {
				return false
			}
		}
		return true
	})
}

func (g *grid) stopAll() {
	for _, cmd := range g.nodes {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, cmd := range g.nodes {
		waitExit(cmd, 10*time.Second)
	}
	if g.server != nil && g.server.ProcessState == nil {
		_ = g.server.Process.Signal(syscall.SIGTERM)
		waitExit(g.server, 10*time.Second)
	}
	// Agents the server started (local node sources) outlive it by design.
	killProcessesUnder(g.dataDir)
	if g.t.Failed() {
		dumpLogs(g.t, g.dir)
	}
}

// processesUnder returns the PIDs of processes whose command line names a
// path under dir.
func processesUnder(dir string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(dir+"/")) {
			stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue // a zombie: gone, waiting to be reaped
			}
			out = append(out, pid)
		}
	}
	return out
}

func killProcessesUnder(dir string) {
	for _, pid := range processesUnder(dir) {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func waitExit(cmd *exec.Cmd, d time.Duration) {
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
	}
}

// submit submits a YAML job document as admin and returns its id.
func (g *grid) submit(doc string) int64 {
	g.t.Helper()
	resp, err := g.client.SubmitJob(context.Background(), []byte(doc), "application/yaml", nil)
	if err != nil {
		g.t.Fatalf("submit: %v", err)
	}
	return resp.ID
}

// wait waits until the job is over and returns it.
func (g *grid) wait(id int64, d time.Duration) api.Job {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	job, err := g.client.WaitJob(ctx, id, 50*time.Millisecond, nil)
	if err != nil {
		g.t.Fatalf("waiting for job %d: %v", id, err)
	}
	return job
}

// waitTask waits until a task of a job is in state.
func (g *grid) waitTask(id int64, task string, state api.TaskState, d time.Duration) api.Task {
	g.t.Helper()
	var got api.Task
	waitFor(g.t, d, fmt.Sprintf("job %d task %s %s", id, task, state), func() bool {
		job, err := g.client.GetJob(context.Background(), id)
		if err != nil {
			return false
		}
		for _, tk := range job.Tasks {
			if tk.Name == task && tk.State == state {
				got = tk
				return true
			}
		}
		return false
	})
	return got
}

// cli runs the shrike CLI as the admin and returns stdout and the exit code.
func (g *grid) cli(args ...string) (string, int) {
	g.t.Helper()
	return g.cliEnv([]string{"SHRIKE_ADDR=" + g.url(), "SHRIKE_TOKEN=" + g.token}, args...)
}

// cliEnv runs the shrike CLI with extra environment variables and a
// private HOME, and returns stdout and the exit code.
func (g *grid) cliEnv(env []string, args ...string) (string, int) {
	g.t.Helper()
	cmd := exec.Command(shrikeBin, args...)
	cmd.Env = append(os.Environ(), "HOME="+g.dir, "XDG_CONFIG_HOME="+filepath.Join(g.dir, "config"))
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		g.t.Fatalf("running shrike %v: %v", args, err)
	}
	if errb.Len() > 0 {
		g.t.Logf("shrike %s stderr: %s", strings.Join(args, " "), errb.String())
	}
	return out.String(), code
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func logFile(t *testing.T, dir, name string) *os.File {
	f, err := os.OpenFile(filepath.Join(dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func dumpLogs(t *testing.T, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if len(data) > 8000 {
			data = data[len(data)-8000:]
		}
		t.Logf("==== %s ====\n%s", filepath.Base(f), data)
	}
}

// taskByName finds a task in a job view.
func taskByName(t *testing.T, job api.Job, name string) api.Task {
	t.Helper()
	for _, tk := range job.Tasks {
		if tk.Name == name {
			return tk
		}
	}
	t.Fatalf("job %d has no task %s", job.ID, name)
	return api.Task{}
}
