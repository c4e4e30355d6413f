package scripts

import (
	"context"
	"math"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The `host` table of dynamic selection scripts: read-only, its functions
// ask the evaluation's Probes. Each call is charged probeSteps
// instructions and runs under a context that ends with the evaluation
// (budget.probeContext); if the evaluation ended meanwhile, the verdict
// is the budget's (time budget exceeded, evaluation cancelled), not the
// probe's error.
//
//	host.file_exists(path)        → boolean (exists, not a directory)
//	host.dir_exists(path)         → boolean
//	host.command_exists(name)     → boolean (in PATH, or at that path)
//	host.env(name)                → string, or nil if unset
//	host.mem_free()               → bytes available
//	host.disk_free([path])        → bytes free (default: the work directory)
//	host.load1()                  → one-minute load average
//	host.run(cmd [, timeout_s])   → exit code, stdout, stderr (trimmed, ≤ 64 KiB each)
//
// host.run takes a string, run by /bin/sh -c, or a list of strings run
// without a shell. Without timeout_s the command may run for the rest of
// the script's time budget.

// hostMeta is the metatable of a dynamic evaluation's globals: like
// envMeta, over a copy of the template that also holds `host`. It is
// built once per state.
func (sb *sandbox) hostMeta() *lua.LTable {
	if sb.dynMeta != nil {
		return sb.dynMeta
	}
	L := sb.L
	template := sb.envMeta.RawGetString("__index").(*lua.LTable)
	dyn := L.NewTable()
	template.ForEach(func(k, v lua.LValue) { dyn.RawSet(k, v) })
	dyn.RawSetString("host", sb.readOnlyLib("host", L.NewTable(), nil, map[string]lua.LGFunction{
		"file_exists":    sb.hostFileExists,
		"dir_exists":     sb.hostDirExists,
		"command_exists": sb.hostCommandExists,
		"env":            sb.hostEnv,
		"mem_free":       sb.hostMemFree,
		"disk_free":      sb.hostDiskFree,
		"load1":          sb.hostLoad1,
		"run":            sb.hostRun,
	}))
	sb.dynMeta = L.NewTable()
	sb.dynMeta.RawSetString("__index", dyn)
	sb.dynMeta.RawSetString("__metatable", roMarker)
	return sb.dynMeta
}

// probe runs one probe call: it charges the call, runs f under the
// evaluation's probe context and raises in L when the evaluation ended
// meanwhile (the budget's error) or f failed ("host.<name>: <error>").
func (sb *sandbox) probe(L *lua.LState, name string, f func(ctx context.Context, p Probes) error) {
	p := sb.ev.probes
	if p == nil { // cannot happen: host is only in dynamic evaluations
		L.RaiseError("host.%s: no host probes", name)
	}
	sb.budget.step(L, probeSteps)
	ctx, cancel := sb.budget.probeContext()
	err := f(ctx, p)
	ended := sb.budget.probeEnded(ctx)
	cancel()
	if ended {
		sb.budget.raise(L)
	}
	if err != nil {
		L.RaiseError("host.%s: %s", name, err.Error())
	}
}

func (sb *sandbox) hostFileExists(L *lua.LState) int {
	path := L.CheckString(1)
	var ok bool
	sb.probe(L, "file_exists", func(ctx context.Context, p Probes) (err error) {
		ok, err = p.FileExists(ctx, path)
		return err
	})
	return pushBool(L, ok)
}

func (sb *sandbox) hostDirExists(L *lua.LState) int {
	path := L.CheckString(1)
	var ok bool
	sb.probe(L, "dir_exists", func(ctx context.Context, p Probes) (err error) {
		ok, err = p.DirExists(ctx, path)
		return err
	})
	return pushBool(L, ok)
}

func (sb *sandbox) hostCommandExists(L *lua.LState) int {
	name := L.CheckString(1)
	var ok bool
	sb.probe(L, "command_exists", func(ctx context.Context, p Probes) (err error) {
		ok, err = p.CommandExists(ctx, name)
		return err
	})
	return pushBool(L, ok)
}

func (sb *sandbox) hostEnv(L *lua.LState) int {
	name := L.CheckString(1)
	var v string
	var ok bool
	sb.probe(L, "env", func(_ context.Context, p Probes) error {
		v, ok = p.Env(name)
		return nil
	})
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	sb.budget.charge(L, len(v))
	L.Push(lua.LString(v))
	return 1
}

func (sb *sandbox) hostMemFree(L *lua.LState) int {
	var n int64
	sb.probe(L, "mem_free", func(ctx context.Context, p Probes) (err error) {
		n, err = p.MemFree(ctx)
		return err
	})
	L.Push(lua.LNumber(n))
	return 1
}

func (sb *sandbox) hostDiskFree(L *lua.LState) int {
	path := L.OptString(1, "")
	var n int64
	sb.probe(L, "disk_free", func(ctx context.Context, p Probes) (err error) {
		n, err = p.DiskFree(ctx, path)
		return err
	})
	L.Push(lua.LNumber(n))
	return 1
}

func (sb *sandbox) hostLoad1(L *lua.LState) int {
	var x float64
	sb.probe(L, "load1", func(ctx context.Context, p Probes) (err error) {
		x, err = p.Load1(ctx)
		return err
	})
	L.Push(lua.LNumber(x))
	return 1
}

// maxRunArgs bounds the argv of host.run.
const maxRunArgs = 256

func (sb *sandbox) hostRun(L *lua.LState) int {
	argv := sb.runArgv(L)
	timeout := time.Duration(0)
	if L.Get(2) != lua.LNil {
		secs := float64(L.CheckNumber(2))
		if !(secs > 0) || math.IsInf(secs, 0) {
			L.ArgError(2, "timeout in seconds must be a positive number")
		}
		timeout = time.Duration(min(secs, 1e6) * float64(time.Second))
	}
	var res RunResult
	sb.probe(L, "run", func(ctx context.Context, p Probes) (err error) {
		res, err = p.Run(ctx, argv, timeout)
		return err
	})
	stdout, stderr := strings.TrimSpace(res.Stdout), strings.TrimSpace(res.Stderr)
	sb.budget.charge(L, len(stdout)+len(stderr))
	L.Push(lua.LNumber(res.ExitCode))
	L.Push(lua.LString(stdout))
	L.Push(lua.LString(stderr))
	return 3
}

// runArgv is host.run's first argument as an argv: a string is a shell
// command, a list of strings the command and its arguments.
func (sb *sandbox) runArgv(L *lua.LState) []string {
	switch v := L.Get(1).(type) {
	case lua.LString:
		if strings.TrimSpace(string(v)) == "" {
			L.ArgError(1, "empty command")
		}
		return []string{"/bin/sh", "-c", string(v)}
	case *lua.LTable:
		v = sb.backing(v)
		n := v.Len()
		if n == 0 {
			L.ArgError(1, "empty command list")
		}
		if n > maxRunArgs {
			L.ArgError(1, "more than 256 arguments")
		}
		argv := make([]string, n)
		for i := range n {
			s, ok := v.RawGetInt(i + 1).(lua.LString)
			if !ok {
				L.ArgError(1, "the command list must hold only strings")
			}
			argv[i] = string(s)
		}
		return argv
	}
	L.ArgError(1, "command expected: a string (run by /bin/sh -c) or a list of strings")
	return nil
}
