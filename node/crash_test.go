package node

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

func TestTaskBaseEnv(t *testing.T) {
	t.Parallel()
	in := []string{
		"PATH=/bin", "HOME=/root",
		"SHRIKE_NODE_TOKEN=s1", "SHRIKE_TOKEN=s2", "SHRIKE_PASSWORD=s3", "SHRIKE_NEW_PASSWORD=s4",
		"SHRIKE_OTHER_TOKEN=s5", "SHRIKE_NODE_TOKEN=again",
		"SHRIKE_NODE_SERVER=nats://x", "SHRIKE_TOKENS=kept", "GITHUB_TOKEN=kept", "shrike_token=kept",
		"SHRIKE_PASSWORD", // no '=': still a secret name
		"A=SHRIKE_TOKEN=x",
	}
	want := []string{
		"PATH=/bin", "HOME=/root",
		"SHRIKE_NODE_SERVER=nats://x", "SHRIKE_TOKENS=kept", "GITHUB_TOKEN=kept", "shrike_token=kept",
		"A=SHRIKE_TOKEN=x",
	}
	if got := taskBaseEnv(in); !slices.Equal(got, want) {
		t.Errorf("taskBaseEnv =\n%q\nwant\n%q", got, want)
	}
}

// TestTaskEnvHasNoCredentials runs a real task printing its environment while
// the agent's environment holds credentials. It sets process environment
// variables, so it must not run in parallel.
func TestTaskEnvHasNoCredentials(t *testing.T) {
	// (No "secret" in the node's name or the test's: it would show in the
	// task's working directory.)
	for _, name := range secretEnv {
		t.Setenv(name, "secret-"+strings.ToLower(name))
	}
	t.Setenv("SHRIKE_NODE_TOKEN", "secret")
	t.Setenv("SHRIKE_API_TOKEN", "secret-api")
	t.Setenv("SHRIKE_NODE", "secret-node-name")  // reserved: the agent sets its own
	t.Setenv("SHRIKE_TEST_VISIBLE", "passed-on") // ordinary variables reach tasks

	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	startAgent(t, testConfig(t, s.ClientURL(), "envnode"))
	waitRegistered(t, fs, 1)

	tk := task(1, "env")
	tk.Env = map[string]string{"JOB_TOKEN": "from-job", "SHRIKE_TASK_ID": "999"}
	fs.start(t, "envnode", tk)
	if res := fs.waitResult(t, tk.Key()); res.Outcome != api.OutcomeSucceeded {
		t.Fatalf("outcome %s (%s), want succeeded", res.Outcome, res.Error)
	}
	out, _ := fs.streamedLog(tk.Key())
	if strings.Contains(out, "secret") {
		t.Errorf("task environment holds a secret:\n%s", out)
	}
	lines := strings.Split(out, "\n")
	for _, want := range []string{"SHRIKE_TEST_VISIBLE=passed-on", "JOB_TOKEN=from-job", "SHRIKE_NODE=envnode", "SHRIKE_TASK_ID=1"} {
		if !slices.Contains(lines, want) {
			t.Errorf("task environment lacks %s:\n%s", want, out)
		}
	}
}

func TestFindOrphansFakeProc(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	env := func(kv ...string) string { return strings.Join(kv, "\x00") + "\x00" }
	stat := func(pid int, comm string, pgid int) string {
		return fmt.Sprintf("%d (%s) S 1 %d %d 0 -1 4194560 100 0 0 0\n", pid, comm, pgid, pgid)
	}
	const node = "n1"
	const noFile = "\x00no such file"
	procs := []struct {
		pid           int
		environ, stat string // noFile: unreadable or gone
	}{
		{pid: 1, environ: env("SHRIKE_AGENT_ID=n1", "SHRIKE_TASK_ID=1"), stat: stat(1, "init", 1)},
		{pid: 100, environ: env("PATH=/bin", "SHRIKE_AGENT_ID=n1", "SHRIKE_TASK_ID=7", "SHRIKE_ATTEMPT=2"), stat: stat(100, "sh", 100)}, // found
		{pid: 101, environ: env("SHRIKE_TASK_ID=7", "SHRIKE_AGENT_ID=n1"), stat: stat(101, "sleep", 100)},                               // same group: once
		{pid: 102, environ: env("SHRIKE_AGENT_ID=n1x", "SHRIKE_TASK_ID=8"), stat: stat(102, "sh", 102)},
		{pid: 103, environ: env("SHRIKE_AGENT_ID=n1"), stat: stat(103, "sh", 103)},
		{pid: 104, environ: env("SHRIKE_AGENT_ID=n1", "SHRIKE_TASK_ID=9"), stat: stat(104, "a) (b", 90)}, // found
		{pid: 105, environ: noFile, stat: stat(105, "other user", 105)},
		{pid: 106, environ: env("SHRIKE_AGENT_ID=n1", "SHRIKE_TASK_ID=10"), stat: stat(106, "sh", 500)},    // the agent's group
		{pid: 107, environ: env("SHRIKE_AGENT_ID=n1", "SHRIKE_TASK_ID=11"), stat: stat(107, "agent", 107)}, // the agent itself
		{pid: 108, environ: env("SHRIKE_AGENT_ID=n1", "SHRIKE_TASK_ID=12"), stat: stat(108, "kthread", 0)},
		{pid: 109, environ: env("XSHRIKE_AGENT_ID=n1", "SHRIKE_TASK_ID=13"), stat: stat(109, "sh", 109)},
		{pid: 110, environ: env("SHRIKE_AGENT_ID=n1", "SHRIKE_TASK_ID=14"), stat: noFile}, // gone before its stat was read
		{pid: 111, environ: env("SHRIKE_AGENT_ID=n2", "SHRIKE_AGENT_ID=n1", "SHRIKE_TASK_ID=15"), stat: stat(111, "sh", 111)},
		{pid: 112, environ: "", stat: stat(112, "zombie", 112)}, // zombies have an empty environ
	}
	for _, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(p.pid))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string]string{"environ": p.environ, "stat": p.stat} {
			if data == noFile {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, other := range []string{"self", "net", "sys"} {
		if err := os.Mkdir(filepath.Join(root, other), 0o700); err != nil {
			t.Fatal(err)
		}
	}

	want := []orphan{{pgid: 100, pid: 100, taskID: "7", attempt: "2"}, {pgid: 90, pid: 104, taskID: "9"}}
	if got := findOrphans(root, node, 107, 500); !slices.Equal(got, want) {
		t.Errorf("findOrphans = %+v, want %+v", got, want)
	}
	if got := findOrphans(filepath.Join(root, "missing"), node, 107, 500); got != nil {
		t.Errorf("findOrphans of a missing root = %+v, want none", got)
	}
}

// startGroup starts argv as a process group leader with exactly env, the
// way the executor starts a task but without Pdeathsig (so the group
// outlives nothing but is left for the reaper), and kills the group when
// the test ends.
func startGroup(t *testing.T, env []string, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // not reaped: the group id is still ours
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			_ = cmd.Wait()
		}
	})
	return cmd
}

// groupMembers counts the live (non-zombie) processes in group pgid.
func groupMembers(pgid int) int {
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !procAlive(pid) {
			continue
		}
		if g, ok := statPGID(filepath.Join("/proc", e.Name(), "stat")); ok && g == pgid {
			n++
		}
	}
	return n
}

// procAlive reports whether pid is a live process; a zombie is dead (see
// groupAlive).
func procAlive(pid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

func TestReapOrphans(t *testing.T) {
	t.Parallel()
	node := fmt.Sprintf("reap-%d", os.Getpid()) // unique on this host
	path := "PATH=" + os.Getenv("PATH")

	victim := startGroup(t, []string{path, "SHRIKE_AGENT_ID=" + node, "SHRIKE_TASK_ID=42", "SHRIKE_ATTEMPT=1"},
		"/bin/sh", "-c", "sleep 300 & sleep 300")
	pgid := victim.Process.Pid
	otherNode := startGroup(t, []string{path, "SHRIKE_AGENT_ID=" + node + "x", "SHRIKE_TASK_ID=43", "SHRIKE_ATTEMPT=1"},
		"/bin/sh", "-c", "sleep 300 & sleep 300")
	noTask := startGroup(t, []string{path, "SHRIKE_AGENT_ID=" + node}, "sleep", "300")
	waitFor(t, "the task's background process", func() bool { return groupMembers(pgid) >= 2 })
	waitFor(t, "the other node's background process", func() bool { return groupMembers(otherNode.Process.Pid) >= 2 })

	var logs bytes.Buffer // reapOrphans logs synchronously
	if n := reapOrphans(procRoot, node, slog.New(slog.NewTextHandler(&logs, nil))); n != 1 {
		t.Errorf("reapOrphans killed %d groups, want 1", n)
	}
	err := victim.Wait()
	if ws, ok := victim.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("group leader ended with %v, want SIGKILL", err)
	}
	waitFor(t, "the whole process group gone", func() bool { return !groupAlive(pgid) })
	for _, want := range []string{"task_id=42", "attempt=1", "pgid=" + strconv.Itoa(pgid)} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("reaper log %q lacks %s", logs.String(), want)
		}
	}

	// Processes of another node, or without a task id, are left alone.
	if got := groupMembers(otherNode.Process.Pid); got < 2 {
		t.Errorf("the other node's group has %d live processes, want 2 or more", got)
	}
	if !procAlive(noTask.Process.Pid) {
		t.Errorf("a process without SHRIKE_TASK_ID was killed")
	}
}

// Environment of the crash helper process (TestCrashHelper).
const (
	crashWorkEnv = "SHRIKE_TEST_CRASH_WORK"
	crashNameEnv = "SHRIKE_TEST_CRASH_NAME"
)

// TestCrashHelper is not a test: run by TestAgentCrashLeavesNoTask as a
// separate process, it plays an agent that starts a task the way the
// executor does, prints "leader=PID" and waits to be killed.
func TestCrashHelper(t *testing.T) {
	work := os.Getenv(crashWorkEnv)
	if work == "" {
		t.Skip("helper process of TestAgentCrashLeavesNoTask")
	}
	a, err := New(Config{ServerURL: "nats://127.0.0.1:1", Token: "t", Name: os.Getenv(crashNameEnv), WorkDir: work})
	if err != nil {
		t.Fatal(err)
	}
	tk := task(1, "sleep 300 & wait")
	at := &attempt{spec: tk, ref: tk.TaskRef, dir: a.workDir(tk.Key()), logPath: a.logPath(tk.Key())}
	logFile, err := os.Create(at.logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := a.prepare(at, logFile)
	if err == nil {
		cmd, err = startCmd(cmd)
	}
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("leader=%d\n", cmd.Process.Pid)
	time.Sleep(time.Minute) // killed long before
	t.Fatal("helper agent not killed")
}

// TestAgentCrashLeavesNoTask SIGKILLs an agent process that runs a task:
// Pdeathsig kills the task's leader at once, and the next agent of the
// same node kills the rest of the group (the leader's child) when it
// starts.
func TestAgentCrashLeavesNoTask(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	node := fmt.Sprintf("crash-%d", os.Getpid())
	work := t.TempDir()
	helper := exec.Command(exe, "-test.run=^TestCrashHelper$")
	helper.Env = append(os.Environ(), crashWorkEnv+"="+work, crashNameEnv+"="+node)
	helper.Stderr = os.Stderr
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = helper.Process.Kill()
		_ = helper.Wait()
	})
	leaders := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "leader="); ok {
				pid, _ := strconv.Atoi(v)
				leaders <- pid
			} else {
				fmt.Fprintln(os.Stderr, "crash helper:", sc.Text())
			}
		}
		close(leaders)
	}()
	var pgid int
	select {
	case pgid = <-leaders:
	case <-time.After(testWait):
		t.Fatal("helper agent did not start its task")
	}
	if pgid <= 1 {
		t.Fatalf("helper agent failed (leader %d)", pgid)
	}
	t.Cleanup(func() {
		if groupAlive(pgid) { // only after a failure
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	})
	waitFor(t, "the task's background process", func() bool { return groupMembers(pgid) >= 2 })

	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	waitFor(t, "the task's leader killed by Pdeathsig", func() bool { return !procAlive(pgid) })
	if !groupAlive(pgid) {
		t.Fatal("the leader's child died with the agent; the restart has nothing to reap")
	}

	if _, err := New(Config{ServerURL: "nats://127.0.0.1:1", Token: "t", Name: node, WorkDir: work}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the task's process group gone after the restart", func() bool { return !groupAlive(pgid) })
	if _, err := os.Stat(filepath.Join(work, "tasks", "1-1")); !os.IsNotExist(err) {
		t.Errorf("stale task work dir still there: %v", err)
	}
}
