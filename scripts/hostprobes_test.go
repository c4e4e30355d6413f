package scripts

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// probeFiles makes a directory holding a file and a directory.
func probeFiles(t *testing.T) (dir, file, sub string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "present.txt")
	sub = filepath.Join(dir, "sub")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir, file, sub
}

func TestHostProbesFiles(t *testing.T) {
	dir, file, sub := probeFiles(t)
	p := HostProbes{WorkDir: dir}
	ctx := context.Background()
	tests := map[string]struct {
		probe func(context.Context, string) (bool, error)
		path  string
		want  bool
	}{
		"file exists":           {p.FileExists, file, true},
		"file: a directory":     {p.FileExists, sub, false},
		"file: missing":         {p.FileExists, filepath.Join(dir, "missing"), false},
		"file: through a file":  {p.FileExists, filepath.Join(file, "x"), false},
		"file: empty path":      {p.FileExists, "", false},
		"dir exists":            {p.DirExists, sub, true},
		"dir: a file":           {p.DirExists, file, false},
		"dir: missing":          {p.DirExists, filepath.Join(dir, "missing"), false},
		"command in PATH":       {p.CommandExists, "sh", true},
		"command: missing":      {p.CommandExists, "shrike-no-such-command", false},
		"command: at a path":    {p.CommandExists, mustLookPath(t, "sh"), true},
		"command: not runnable": {p.CommandExists, file, false},
		"command: empty":        {p.CommandExists, "", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tt.probe(ctx, tt.path)
			if err != nil || got != tt.want {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func mustLookPath(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed: %v", name, err)
	}
	return path
}

func TestHostProbesEnv(t *testing.T) {
	p := HostProbes{Environ: []string{"A=1", "B=x=y", "A=2", "EMPTY="}}
	for name, want := range map[string]string{"A": "2", "B": "x=y", "EMPTY": ""} {
		if v, ok := p.Env(name); !ok || v != want {
			t.Errorf("Env(%s) = %q, %v; want %q", name, v, ok, want)
		}
	}
	if v, ok := p.Env("MISSING"); ok {
		t.Errorf("Env(MISSING) = %q, want unset", v)
	}
	t.Setenv("SHRIKE_PROBE_TEST", "from-process")
	if v, ok := (HostProbes{}).Env("SHRIKE_PROBE_TEST"); !ok || v != "from-process" {
		t.Errorf("nil Environ: Env = %q, %v; want the process's value", v, ok)
	}
	if v, ok := (HostProbes{Environ: []string{}}).Env("SHRIKE_PROBE_TEST"); ok {
		t.Errorf("empty Environ: Env = %q, want unset", v)
	}
}

func TestHostProbesResources(t *testing.T) {
	dir := t.TempDir()
	p := HostProbes{WorkDir: dir}
	ctx := context.Background()
	if n, err := p.MemFree(ctx); err != nil || n <= 0 {
		t.Errorf("MemFree = %d, %v; want > 0", n, err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"", dir} {
		n, err := p.DiskFree(ctx, path)
		if err != nil || n <= 0 || n > int64(st.Blocks)*int64(st.Bsize) {
			t.Errorf("DiskFree(%q) = %d, %v; want > 0 and at most the file system's size", path, n, err)
		}
	}
	if _, err := p.DiskFree(ctx, filepath.Join(dir, "missing")); err == nil {
		t.Error("DiskFree of a missing path: no error")
	}
	if _, err := (HostProbes{}).DiskFree(ctx, ""); err == nil {
		t.Error("DiskFree without a path or work directory: no error")
	}
	if x, err := p.Load1(ctx); err != nil || x < 0 {
		t.Errorf("Load1 = %v, %v; want >= 0", x, err)
	}
}

// The file probes give up when their context has ended.
func TestHostProbesContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := HostProbes{WorkDir: t.TempDir()}
	if _, err := p.FileExists(ctx, "/"); !errors.Is(err, context.Canceled) {
		t.Errorf("FileExists: %v, want context.Canceled", err)
	}
	if _, err := p.CommandExists(ctx, "sh"); !errors.Is(err, context.Canceled) {
		t.Errorf("CommandExists: %v, want context.Canceled", err)
	}
	if _, err := p.DiskFree(ctx, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("DiskFree: %v, want context.Canceled", err)
	}
	if _, err := (HostProbes{AllowCommands: true}).Run(ctx, []string{"true"}, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
}

func TestHostProbesRun(t *testing.T) {
	dir := t.TempDir()
	p := HostProbes{WorkDir: dir, AllowCommands: true, Environ: []string{"PATH=" + os.Getenv("PATH"), "GREETING=hello"}}
	tests := map[string]struct {
		argv []string
		want RunResult
	}{
		"stdout and exit code": {[]string{"/bin/sh", "-c", "echo $GREETING; exit 3"}, RunResult{ExitCode: 3, Stdout: "hello\n"}},
		"stderr":               {[]string{"/bin/sh", "-c", "echo oops >&2"}, RunResult{Stderr: "oops\n"}},
		"work directory":       {[]string{"pwd"}, RunResult{Stdout: dir + "\n"}},
		"no shell":             {[]string{"printf", "%s", "a b; c"}, RunResult{Stdout: "a b; c"}},
		"killed by a signal":   {[]string{"/bin/sh", "-c", "kill -TERM $$"}, RunResult{ExitCode: 128 + int(syscall.SIGTERM)}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := p.Run(context.Background(), tt.argv, time.Minute)
			if err != nil || got != tt.want {
				t.Fatalf("Run(%q) = %+v, %v; want %+v", tt.argv, got, err, tt.want)
			}
		})
	}

	t.Run("output capped", func(t *testing.T) {
		got, err := p.Run(context.Background(), []string{"/bin/sh", "-c", "yes | head -c 200000; echo done >&2"}, time.Minute)
		if err != nil || len(got.Stdout) != MaxRunOutput || got.Stderr != "done\n" {
			t.Fatalf("Run = %d bytes of stdout, stderr %q, %v; want %d bytes and done", len(got.Stdout), got.Stderr, err, MaxRunOutput)
		}
	})
	t.Run("not found", func(t *testing.T) {
		if _, err := p.Run(context.Background(), []string{"shrike-no-such-command"}, time.Minute); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("not allowed", func(t *testing.T) {
		marker := filepath.Join(dir, "ran")
		_, err := HostProbes{WorkDir: dir}.Run(context.Background(), []string{"touch", marker}, time.Minute)
		if !errors.Is(err, ErrCommandsNotAllowed) {
			t.Fatalf("err = %v, want ErrCommandsNotAllowed", err)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatal("the command ran")
		}
	})
}

// A command that outlives its timeout is killed with everything it
// started; so is what a command leaves running when it exits.
func TestHostProbesRunKillsGroup(t *testing.T) {
	p := HostProbes{WorkDir: t.TempDir(), AllowCommands: true}
	res, err := p.Run(context.Background(), []string{"/bin/sh", "-c", "sleep 30 & echo $!; wait"}, 200*time.Millisecond)
	if !errors.Is(err, ErrCommandTimeout) || !strings.Contains(err.Error(), "200ms") {
		t.Fatalf("err = %v, want ErrCommandTimeout after 200ms", err)
	}
	waitGone(t, pidOf(t, res.Stdout))

	res, err = p.Run(context.Background(), []string{"/bin/sh", "-c", "sleep 30 & echo $!"}, 0)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	waitGone(t, pidOf(t, res.Stdout))

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := p.Run(ctx, []string{"sleep", "30"}, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run when its context ends: %v, want the context's error", err)
	}
}

func pidOf(t *testing.T, out string) int {
	t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("no pid in %q", out)
	}
	return pid
}

// waitGone waits until process pid is dead (gone, or a zombie where PID 1
// does not reap orphans).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		s := string(data)
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 0 && f[0] == "Z" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
