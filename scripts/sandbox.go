package scripts

import (
	"context"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// sandbox is one Lua state prepared for selection scripts. It is built
// once and reused (engine.go pools them); one evaluation at a time.
//
// What a script sees (its globals) is a fresh table per evaluation whose
// metatable falls back to template, a table the script cannot reach. The
// libraries in template are read-only views, so no evaluation can change
// what the next one sees: a pooled state carries nothing over.
//
// The sandbox:
//   - base: assert, error, getmetatable, ipairs, next, pairs, pcall,
//     print (discards its output), rawequal, rawget, select,
//     setmetatable (tables only), tonumber, tostring, type, unpack,
//     xpcall, _VERSION, _G (the script's own globals).
//     Removed: collectgarbage, dofile, getfenv, setfenv, load,
//     loadfile, loadstring, module, require, newproxy, rawset.
//   - string: all but dump (and the gfind alias); find, match, gmatch
//     and gsub are the budgeted matcher of patterns.go; rep, format,
//     upper, lower, reverse and `..` are charged to the memory budget.
//   - table: concat, getn, maxn (which see through read-only views),
//     insert, remove, sort (which refuse them).
//   - math: all but random and randomseed (verdicts are cached, so a
//     script must be deterministic).
//   - os: time, date and clock only.
//   - sel: the helpers of sel.go; node, args, vars: read-only views.
//   - host (dynamic evaluations only, host.go): the host probes; a
//     static evaluation has no host at all.
//
// Also removed: io, debug, coroutine, channel, package, string.dump and
// the other os functions; there is no way to load code or bytecode. What
// was removed is replaced by a stub raising "<name> is not available in
// selection scripts", so that the verdict says what went wrong.
type sandbox struct {
	L       *lua.LState
	budget  *budget
	envMeta *lua.LTable
	hidden  []lua.LValue // the functions guard.go's rewrite calls, in hiddenParams order
	roWrite *lua.LFunction
	roLen   *lua.LFunction
	maxArgs int
	timeout time.Duration // the time budget of a static evaluation

	// dynMeta is envMeta for dynamic evaluations: its template also has
	// `host`. Built on the first dynamic evaluation (hostMeta).
	dynMeta *lua.LTable

	// lazy maps the views whose fields are computed (node, args, vars)
	// to the function that builds their whole table.
	lazy map[*lua.LTable]func() *lua.LTable

	ev evaluation // the evaluation in progress
}

// evaluation is what one evaluation is about, and the tables built for it
// on demand. It is reset before each evaluation.
type evaluation struct {
	node   *NodeView
	vars   map[string]string
	args   []string
	probes Probes // nil in a static evaluation

	nodeData, gpus, tags, facts *lua.LTable
	argsData, varsData          *lua.LTable
}

// roMarker is what getmetatable returns for read-only views, the
// globals table and strings.
const roMarker = lua.LString("read-only")

func newSandbox(o Options, now func() time.Time) *sandbox {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:     true,
		CallStackSize:    o.MaxCallDepth,
		RegistrySize:     min(4096, o.MaxStack),
		RegistryMaxSize:  o.MaxStack,
		RegistryGrowStep: 4096,
	})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.OsLibName, lua.OpenOs},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	sb := &sandbox{
		L: L,
		budget: &budget{
			parent:    context.Background(),
			now:       now,
			timeout:   o.Timeout,
			maxSteps:  o.MaxInstructions,
			maxAlloc:  o.MaxAllocBytes,
			maxString: o.MaxStringBytes,
		},
		maxArgs: o.MaxStack / 4,
		timeout: o.Timeout,
	}
	sb.hidden = []lua.LValue{
		L.NewFunction(sb.luaConcat),
		L.NewFunction(sb.luaSetIndex),
		L.NewFunction(sb.luaNewTable),
	}
	sb.roWrite = L.NewFunction(sb.luaReadOnlyWrite)
	sb.roLen = L.NewFunction(sb.luaReadOnlyLen)

	template := sb.buildTemplate()
	sb.envMeta = L.NewTable()
	sb.envMeta.RawSetString("__index", template)
	sb.envMeta.RawSetString("__metatable", roMarker)

	// Every state starts with its own Lua globals; the budget is the
	// context from now on (gopher-lua checks it before each instruction).
	L.SetContext(sb.budget)
	return sb
}

// buildTemplate builds the table the script's globals fall back to.
func (sb *sandbox) buildTemplate() *lua.LTable {
	L := sb.L
	g := L.G.Global
	lib := func(name string) *lua.LTable { return g.RawGetString(name).(*lua.LTable) }
	fn := func(f lua.LGFunction) *lua.LFunction { return L.NewFunction(f) }

	t := L.NewTable()
	for _, name := range []string{
		"assert", "error", "getmetatable", "pcall", "rawequal", "select",
		"tonumber", "tostring", "type", "xpcall", "_VERSION",
	} {
		t.RawSetString(name, mustGet(g, name))
	}
	next := fn(sb.luaNext)
	t.RawSetString("next", next)
	t.RawSetString("pairs", fn(func(L *lua.LState) int {
		L.Push(next)
		L.Push(L.CheckTable(1))
		L.Push(lua.LNil)
		return 3
	}))
	inext := fn(sb.luaInext)
	t.RawSetString("ipairs", fn(func(L *lua.LState) int {
		L.Push(inext)
		L.Push(L.CheckTable(1))
		L.Push(lua.LNumber(0))
		return 3
	}))
	t.RawSetString("unpack", fn(sb.luaUnpack))
	t.RawSetString("rawget", fn(sb.luaRawget))
	t.RawSetString("setmetatable", fn(tablesOnly(goFunc(g, "setmetatable"))))
	t.RawSetString("print", fn(func(*lua.LState) int { return 0 }))

	// What was removed says so, rather than "attempt to call a nil value".
	for _, name := range []string{
		"collectgarbage", "dofile", "getfenv", "setfenv", "load", "loadfile",
		"loadstring", "module", "require", "newproxy", "rawset",
	} {
		t.RawSetString(name, sb.unavailable(name))
	}
	for _, name := range []string{"io", "debug", "coroutine", "package", "channel"} {
		t.RawSetString(name, sb.unavailableLib(name))
	}

	str := sb.stringLib(lib(lua.StringLibName))
	t.RawSetString("string", str)
	t.RawSetString("table", sb.tableLib(lib(lua.TabLibName)))
	t.RawSetString("math", sb.mathLib(lib(lua.MathLibName)))
	t.RawSetString("os", sb.osLib(lib(lua.OsLibName)))
	t.RawSetString("sel", sb.selLib())
	sb.lazy = make(map[*lua.LTable]func() *lua.LTable)
	t.RawSetString("node", sb.lazyView("node", sb.luaNodeIndex, sb.nodeData))
	t.RawSetString("args", sb.lazyView("args", sb.luaArgsIndex, sb.argsData))
	t.RawSetString("vars", sb.lazyView("vars", sb.luaVarsIndex, sb.varsData))

	// Methods on strings ("x"):upper() go through the read-only string
	// library, and getmetatable("") does not hand out the metatable.
	strMeta := L.NewTable()
	strMeta.RawSetString("__index", str)
	strMeta.RawSetString("__metatable", roMarker)
	L.SetMetatable(lua.LString(""), strMeta)
	return t
}

// unavailable is a function that raises "name is not available".
func (sb *sandbox) unavailable(name string) *lua.LFunction {
	return sb.L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("%s is not available in selection scripts", name)
		return 0
	})
}

// unavailableLib stands for a library the sandbox does not have: any use
// of it raises "name is not available".
func (sb *sandbox) unavailableLib(name string) *lua.LTable {
	L := sb.L
	fail := sb.unavailable(name)
	mt := L.CreateTable(0, 3)
	mt.RawSetString("__index", fail)
	mt.RawSetString("__newindex", fail)
	mt.RawSetString("__metatable", roMarker)
	t := L.CreateTable(0, 0)
	t.Metatable = mt
	return t
}

func mustGet(t *lua.LTable, name string) lua.LValue {
	v := t.RawGetString(name)
	if v == lua.LNil {
		panic(fmt.Sprintf("scripts: gopher-lua has no %q", name))
	}
	return v
}

// goFunc is the Go implementation of the library function t[name].
func goFunc(t *lua.LTable, name string) lua.LGFunction {
	f, ok := mustGet(t, name).(*lua.LFunction)
	if !ok || f.GFunction == nil {
		panic(fmt.Sprintf("scripts: %q is not a Go function", name))
	}
	return f.GFunction
}

// newEnv is the globals table of one evaluation. node, args and vars
// come from the template: they are views of sb.ev; dynamic evaluations
// also see host.
func (sb *sandbox) newEnv(dynamic bool) *lua.LTable {
	env := sb.L.CreateTable(0, 4)
	env.Metatable = sb.envMeta
	if dynamic {
		env.Metatable = sb.hostMeta()
	}
	env.RawSetString("_G", env)
	return env
}

func stringMap(L *lua.LState, m map[string]string) *lua.LTable {
	t := L.CreateTable(0, len(m))
	for k, v := range m {
		t.RawSetString(k, lua.LString(v))
	}
	return t
}

func stringList(L *lua.LState, list []string) *lua.LTable {
	t := L.CreateTable(len(list), 0)
	for _, s := range list {
		t.Append(lua.LString(s))
	}
	return t
}

// readOnly wraps data in an empty proxy whose metatable reads from data
// and refuses writes. It is used for tables built per evaluation (the
// libraries, node.tags, ...); node, args and vars are lazy views. The metatable is protected, so the script can reach
// data only through the proxy; the sandbox's pairs, ipairs, next, unpack,
// rawget, # and table functions see through it (backing).
func (sb *sandbox) readOnly(name string, data *lua.LTable) *lua.LTable {
	L := sb.L
	mt := L.CreateTable(0, 5)
	mt.RawSetString("__index", data)
	mt.RawSetString("__newindex", sb.roWrite)
	mt.RawSetString("__len", sb.roLen)
	mt.RawSetString("__metatable", roMarker)
	mt.RawSetString("__name", lua.LString(name))
	proxy := L.CreateTable(0, 0)
	proxy.Metatable = mt
	return proxy
}

// lazyView is a read-only view whose fields come from index and whose
// whole table, when pairs or the like need it, from data. It is made
// once per state and shows the evaluation in progress.
func (sb *sandbox) lazyView(name string, index lua.LGFunction, data func() *lua.LTable) *lua.LTable {
	L := sb.L
	mt := L.CreateTable(0, 5)
	mt.RawSetString("__index", L.NewFunction(index))
	mt.RawSetString("__newindex", sb.roWrite)
	mt.RawSetString("__len", sb.roLen)
	mt.RawSetString("__metatable", roMarker)
	mt.RawSetString("__name", lua.LString(name))
	proxy := L.CreateTable(0, 0)
	proxy.Metatable = mt
	sb.lazy[proxy] = data
	return proxy
}

// backing is the table behind a read-only view, or t itself.
func (sb *sandbox) backing(t *lua.LTable) *lua.LTable {
	if data, ok := sb.lazy[t]; ok {
		return data()
	}
	if mt, ok := t.Metatable.(*lua.LTable); ok && mt.RawGetString("__newindex") == sb.roWrite {
		if data, ok := mt.RawGetString("__index").(*lua.LTable); ok {
			return data
		}
	}
	return t
}

// checkWritable raises if t is a read-only view.
func (sb *sandbox) checkWritable(L *lua.LState, t *lua.LTable) {
	if sb.backing(t) != t {
		L.RaiseError("%s is read-only", viewName(t))
	}
}

func viewName(t *lua.LTable) string {
	if mt, ok := t.Metatable.(*lua.LTable); ok {
		if name, ok := mt.RawGetString("__name").(lua.LString); ok {
			return string(name)
		}
	}
	return "table"
}

func (sb *sandbox) luaReadOnlyWrite(L *lua.LState) int {
	t := L.CheckTable(1)
	L.RaiseError("%s is read-only (cannot set %s)", viewName(t), L.ToStringMeta(L.Get(2)).String())
	return 0
}

func (sb *sandbox) luaReadOnlyLen(L *lua.LState) int {
	L.Push(lua.LNumber(sb.backing(L.CheckTable(1)).Len()))
	return 1
}
