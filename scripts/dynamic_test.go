package scripts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// evalDynamic compiles src as dyn.lua and evaluates it as a dynamic
// script on gpuNode with probes p.
func evalDynamic(t *testing.T, e *Engine, p Probes, timeout time.Duration, src string, args ...string) Verdict {
	t.Helper()
	d := Dynamic{Probes: p, Timeout: timeout}
	return e.EvaluateDynamic(context.Background(), mustCompile(t, "dyn.lua", src), gpuNode(), testVars, args, d)
}

// Every host function, against the real host.
func TestDynamicHostTable(t *testing.T) {
	dir, file, sub := probeFiles(t)
	e := newTestEngine(t, Options{Timeout: time.Minute})
	p := HostProbes{WorkDir: dir, AllowCommands: true, Environ: []string{"PATH=" + os.Getenv("PATH"), "SITE=paris"}}
	tests := map[string]struct {
		src  string
		args []string
	}{
		"file_exists":                      {`return host.file_exists(args[1]) and not host.file_exists(args[2])`, []string{file, sub}},
		"dir_exists":                       {`return host.dir_exists(args[1]) and not host.dir_exists(args[2])`, []string{sub, file}},
		"missing file":                     {`return not host.file_exists(args[1] .. "/nope") and not host.dir_exists(args[1] .. "/nope")`, []string{dir}},
		"command_exists":                   {`return host.command_exists("sh") and not host.command_exists("shrike-no-such-command")`, nil},
		"env":                              {`return host.env("SITE") == "paris" and host.env("HOME") == nil`, nil},
		"mem_free":                         {`return host.mem_free() > 0`, nil},
		"disk_free":                        {`return host.disk_free() > 0 and host.disk_free(args[1]) > 0`, []string{sub}},
		"load1":                            {`return host.load1() >= 0`, nil},
		"run a shell command":              {`local code, out, err = host.run("echo $SITE; echo warn >&2; exit 3"); return code == 3 and out == "paris" and err == "warn"`, nil},
		"run an argv":                      {`local code, out = host.run({"printf", "%s", "a b; c"}); return code == 0 and out == "a b; c"`, nil},
		"run in the work dir":              {`local _, out = host.run("pwd"); return out == args[1]`, []string{dir}},
		"own timeout is catchable":         {`local ok, err = pcall(host.run, "sleep 10", 0.1); return not ok and err:find("command timed out after 100ms", 1, true) ~= nil`, nil},
		"still sees node, sel, args, vars": {`return node.name == "gpu-01" and sel.has_gpu("A100") and args[1] == "x" and vars.PROJECT == "climate"`, []string{"x"}},
		"host is a table":                  {`local n = 0; for k, f in pairs(host) do n = n + 1 end; return n == 8 and getmetatable(host) == "read-only"`, nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if v := evalDynamic(t, e, p, 10*time.Second, tt.src, tt.args...); !v.Selected {
				t.Fatalf("verdict %+v, want selected", v)
			}
		})
	}
}

// Bad calls and refusals are false verdicts with the reason.
func TestDynamicHostErrors(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	e := newTestEngine(t, Options{Timeout: time.Minute})
	allowed := HostProbes{WorkDir: dir, AllowCommands: true}
	refused := HostProbes{WorkDir: dir}
	tests := map[string]struct {
		probes Probes
		src    string
		reason string
		err    string
	}{
		"run refused": {refused, `host.run("touch ` + marker + `")`, ReasonError,
			"dyn.lua:1: host.run: running commands is not allowed on this node (start the agent with --allow-probe-commands)"},
		"run timed out":        {allowed, `host.run("sleep 10", 0.2)`, ReasonError, "host.run: command timed out after 200ms"},
		"run not found":        {allowed, `host.run({"shrike-no-such-command"})`, ReasonError, "host.run: exec:"},
		"run no command":       {allowed, `host.run("  ")`, ReasonError, "empty command"},
		"run bad argv":         {allowed, `host.run({"echo", {}})`, ReasonError, "only strings"},
		"run bad timeout":      {allowed, `host.run("true", -1)`, ReasonError, "positive number"},
		"disk_free of nothing": {allowed, `return host.disk_free("/shrike/no/such/dir") > 0`, ReasonError, "host.disk_free: statfs /shrike/no/such/dir"},
		"file_exists no path":  {allowed, `return host.file_exists()`, ReasonError, "string expected"},
		"host is read-only":    {allowed, `host.run = function() return 0 end`, ReasonError, "host is read-only"},
		"host cannot grow":     {allowed, `host.sudo = true`, ReasonError, "host is read-only"},
		"probe error":          {failingProbes{allowed}, `return host.mem_free() > 0`, ReasonError, "dyn.lua:1: host.mem_free: meminfo is unreadable"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			v := evalDynamic(t, e, tt.probes, 10*time.Second, tt.src)
			if v.Selected || v.Reason != tt.reason || !strings.Contains(v.Err, tt.err) {
				t.Fatalf("verdict %+v, want %q with %q", v, tt.reason, tt.err)
			}
		})
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a refused command ran")
	}
	if v := e.EvaluateDynamic(context.Background(), mustCompile(t, "x.lua", "return true"), gpuNode(), nil, nil, Dynamic{}); v.Selected || v.Reason != ReasonInternal {
		t.Errorf("no probes: verdict %+v, want an internal error", v)
	}
}

// failingProbes are host probes whose MemFree fails.
type failingProbes struct{ HostProbes }

func (failingProbes) MemFree(context.Context) (int64, error) {
	return 0, errors.New("meminfo is unreadable")
}

// slowProbes are host probes whose file probes hang until their context
// ends, like a stat on a dead network mount.
type slowProbes struct{ HostProbes }

func (slowProbes) FileExists(ctx context.Context, _ string) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}

// The script's time budget stops a running command (and what it started)
// and a hanging probe; pcall cannot swallow it.
func TestDynamicTimeBudget(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	e := newTestEngine(t, Options{Timeout: time.Minute})
	p := HostProbes{WorkDir: dir, AllowCommands: true}
	tests := map[string]struct {
		probes Probes
		src    string
	}{
		"run":           {p, `host.run("echo $$ > ` + pidFile + `; exec sleep 10"); return true`},
		"run in pcall":  {p, `pcall(host.run, "sleep 10"); return true`},
		"hanging probe": {slowProbes{p}, `return host.file_exists("/mnt/dead")`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			done := make(chan Verdict, 1)
			go func() { done <- evalDynamic(t, e, tt.probes, 200*time.Millisecond, tt.src) }()
			select {
			case v := <-done:
				if v.Selected || v.Reason != ReasonTimeout || !strings.HasSuffix(v.Err, "time budget of 200ms exceeded") {
					t.Fatalf("verdict %+v, want the 200ms time budget exceeded", v)
				}
			case <-time.After(8 * time.Second): // hang detector: the command sleeps 10 s
				t.Fatal("the evaluation outlived its time budget")
			}
		})
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	waitGone(t, pidOf(t, string(data)))
}

// The caller's context stops a dynamic evaluation too: cancelled, not
// timed out.
func TestDynamicCancelled(t *testing.T) {
	e := newTestEngine(t, Options{Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	d := Dynamic{Probes: HostProbes{WorkDir: t.TempDir(), AllowCommands: true}, Timeout: 30 * time.Second}
	v := e.EvaluateDynamic(ctx, mustCompile(t, "dyn.lua", `host.run("sleep 10")`), gpuNode(), nil, nil, d)
	if v.Selected || v.Reason != ReasonCancelled {
		t.Fatalf("verdict %+v, want cancelled", v)
	}
}

// Probe calls are charged to the instruction budget.
func TestDynamicProbeCost(t *testing.T) {
	e := newTestEngine(t, Options{Timeout: time.Minute, MaxInstructions: 50 * probeSteps})
	p := HostProbes{WorkDir: t.TempDir()}
	if v := evalDynamic(t, e, p, 0, `for i = 1, 10 do host.load1() end return true`); !v.Selected {
		t.Fatalf("10 probes: verdict %+v, want selected", v)
	}
	if v := evalDynamic(t, e, p, 0, `for i = 1, 100 do host.load1() end return true`); v.Reason != ReasonInstructions {
		t.Fatalf("100 probes: verdict %+v, want the instruction budget exceeded", v)
	}
}

// A static script has no host: using it is a false verdict that says why,
// and host stays absent from static evaluations on states that ran
// dynamic ones.
func TestStaticScriptsHaveNoHost(t *testing.T) {
	e := newTestEngine(t, Options{PoolSize: 1})
	p := HostProbes{WorkDir: t.TempDir(), AllowCommands: true}
	if v := evalDynamic(t, e, p, 0, `return host ~= nil`); !v.Selected {
		t.Fatalf("dynamic: verdict %+v, want selected", v)
	}
	for _, src := range []string{`return host.file_exists("/etc/passwd")`, `local c = host.run("id") return c == 0`} {
		v := evalOn(t, e, gpuNode(), src)
		if v.Selected || v.Reason != ReasonError || !strings.HasSuffix(v.Err, "(host is only available in dynamic selection scripts)") {
			t.Errorf("static %s: verdict %+v, want an error saying host is for dynamic scripts", src, v)
		}
	}
	if v := evalOn(t, e, gpuNode(), `return host == nil and rawget(_G, "host") == nil`); !v.Selected {
		t.Errorf("static: verdict %+v, want host nil", v)
	}
	if v := evalOn(t, e, gpuNode(), `local host = node; return host.nope.x`); strings.Contains(v.Err, "dynamic") {
		t.Errorf("a local named host: verdict %+v, want no hint", v)
	}
	if e.created.Load() != 1 {
		t.Errorf("%d Lua states built, want 1 (the test relies on reuse)", e.created.Load())
	}
}

// The ways out of the sandbox stay shut for dynamic scripts.
func TestDynamicSandboxEscapes(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	e := newTestEngine(t, Options{Timeout: time.Minute})
	p := HostProbes{WorkDir: dir, AllowCommands: true}
	tests := map[string]struct{ src, err string }{
		"io.popen":      {`io.popen("touch ` + marker + `")`, "io is not available"},
		"io.open":       {`io.open("` + marker + `", "w")`, "io is not available"},
		"os.execute":    {`os.execute("touch ` + marker + `")`, "os.execute is not available"},
		"os.getenv":     {`return os.getenv("HOME") ~= nil`, "os.getenv is not available"},
		"os.remove":     {`os.remove("` + dir + `")`, "os.remove is not available"},
		"require":       {`require("os")`, "require is not available"},
		"load":          {`load(function() return nil end)`, "load is not available"},
		"loadstring":    {`loadstring("return 1")()`, "loadstring is not available"},
		"dofile":        {`dofile("/etc/passwd")`, "dofile is not available"},
		"debug":         {`debug.getupvalue(host.run, 1)`, "debug is not available"},
		"string.dump":   {`string.dump(host.run)`, "string.dump is not available"},
		"setmetatable":  {`setmetatable(host, {})`, "cannot change a protected metatable"},
		"node readonly": {`node.cpus = 1`, "node is read-only"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			v := evalDynamic(t, e, p, 10*time.Second, tt.src)
			if v.Selected || !strings.Contains(v.Err, tt.err) {
				t.Fatalf("verdict %+v, want an error with %q", v, tt.err)
			}
		})
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a script escaped the sandbox")
	}
}
