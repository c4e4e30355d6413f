package scripts

import (
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The library functions the sandbox replaces or wraps: see the list in
// sandbox.go. Every function that builds a string charges its length to
// the budget before building it (budget.charge).

// luaConcat is `a .. b` (Compile rewrites the operator into a call).
func (sb *sandbox) luaConcat(L *lua.LState) int {
	a, b := L.Get(1), L.Get(2)
	if lua.LVCanConvToString(a) && lua.LVCanConvToString(b) {
		as, bs := lua.LVAsString(a), lua.LVAsString(b)
		sb.budget.charge(L, len(as)+len(bs))
		L.Push(lua.LString(as + bs))
		return 1
	}
	mm := L.GetMetaField(a, "__concat")
	if mm == lua.LNil {
		mm = L.GetMetaField(b, "__concat")
	}
	if mm == lua.LNil {
		bad := a
		if lua.LVCanConvToString(a) {
			bad = b
		}
		L.RaiseError("attempt to concatenate a %s value", bad.Type().String())
	}
	L.Push(mm)
	L.Push(a)
	L.Push(b)
	L.Call(2, 1)
	return 1
}

// slotBytes is what one slot of a table's array part costs.
const slotBytes = 16

// luaSetIndex is `t[k] = v` for keys that are not constant strings
// (guard.go), with Lua 5.1's __newindex semantics.
func (sb *sandbox) luaSetIndex(L *lua.LState) int {
	obj, key, val := L.Get(1), L.Get(2), L.Get(3)
	for range maxMetaLoop {
		if t, ok := obj.(*lua.LTable); ok && t.RawGet(key) != lua.LNil {
			sb.rawSet(L, t, key, val)
			return 0
		}
		mm := L.GetMetaField(obj, "__newindex")
		switch h := mm.(type) {
		case *lua.LNilType:
			t, ok := obj.(*lua.LTable)
			if !ok {
				L.RaiseError("attempt to index a %s value", obj.Type().String())
			}
			sb.rawSet(L, t, key, val)
			return 0
		case *lua.LFunction:
			L.Push(h)
			L.Push(obj)
			L.Push(key)
			L.Push(val)
			L.Call(3, 0)
			return 0
		default:
			obj = h
		}
	}
	L.RaiseError("loop in settable")
	return 0
}

// maxMetaLoop bounds chains of __newindex tables, as in Lua 5.1.
const maxMetaLoop = 100

// luaNewTable builds a constructor with keys that are not constant
// strings (guard.go): the positional fields come built as argument 1,
// then key, value pairs in source order. As in Lua, a positional field
// wins over an explicit key for the same index.
func (sb *sandbox) luaNewTable(L *lua.LState) int {
	t := L.CheckTable(1)
	npos := t.MaxN()
	for i := 2; i+1 <= L.GetTop(); i += 2 {
		k := L.Get(i)
		if n, ok := k.(lua.LNumber); ok && n >= 1 && int(n) <= npos && t.RawGet(k) != lua.LNil {
			continue
		}
		sb.rawSet(L, t, k, L.Get(i+1))
	}
	L.Push(t)
	return 1
}

// rawSet is t[k] = v without metamethods. gopher-lua fills every array
// slot between the table's end and an integer key, so the slots a write
// would skip are charged to the memory budget first.
func (sb *sandbox) rawSet(L *lua.LState, t *lua.LTable, key, val lua.LValue) {
	switch k := key.(type) {
	case *lua.LNilType:
		L.RaiseError("table index is nil")
	case lua.LNumber:
		f := float64(k)
		if math.IsNaN(f) {
			L.RaiseError("table index is NaN")
		}
		sb.chargeGap(L, t, f)
	}
	t.RawSet(key, val)
}

// chargeGap charges the array slots a write at index f would add beyond
// the table's last element.
func (sb *sandbox) chargeGap(L *lua.LState, t *lua.LTable, f float64) {
	if f < 1 || f >= float64(lua.MaxArrayIndex) || f != math.Trunc(f) {
		return // not in the array part
	}
	if gap := int64(f) - int64(t.MaxN()) - 1; gap > 0 {
		sb.budget.chargeBytes(L, gap*slotBytes)
	}
}

func (sb *sandbox) luaNext(L *lua.LState) int {
	t := sb.backing(L.CheckTable(1))
	k, v := t.Next(L.Get(2))
	if k == lua.LNil {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(k)
	L.Push(v)
	return 2
}

func (sb *sandbox) luaInext(L *lua.LState) int {
	t := sb.backing(L.CheckTable(1))
	i := L.CheckInt(2) + 1
	v := t.RawGetInt(i)
	if v == lua.LNil {
		return 0
	}
	L.Push(lua.LNumber(i))
	L.Push(v)
	return 2
}

func (sb *sandbox) luaUnpack(L *lua.LState) int {
	t := sb.backing(L.CheckTable(1))
	i := L.OptInt(2, 1)
	j := L.OptInt(3, t.Len())
	if i > j {
		return 0
	}
	n := j - i + 1
	if n <= 0 || n > sb.maxArgs {
		L.RaiseError("too many results to unpack")
	}
	for k := i; k <= j; k++ {
		L.Push(t.RawGetInt(k))
	}
	return n
}

func (sb *sandbox) luaRawget(L *lua.LState) int {
	t := sb.backing(L.CheckTable(1))
	L.Push(t.RawGet(L.CheckAny(2)))
	return 1
}

// tablesOnly restricts setmetatable to tables, as in Lua 5.1. gopher-lua
// would otherwise set the shared metatable of all numbers, booleans or
// functions in the state, which outlives the evaluation.
func tablesOnly(f lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		L.CheckTable(1)
		return f(L)
	}
}

// readOnlyLib copies the named functions of src into a new table, adds
// extra, and returns a read-only view of it.
// Names in removed become functions raising "name.fn is not available".
func (sb *sandbox) readOnlyLib(name string, src *lua.LTable, keep []string, extra map[string]lua.LGFunction, removed ...string) *lua.LTable {
	L := sb.L
	t := L.NewTable()
	for _, k := range keep {
		t.RawSetString(k, mustGet(src, k))
	}
	for k, f := range extra {
		t.RawSetString(k, L.NewFunction(f))
	}
	for _, k := range removed {
		t.RawSetString(k, sb.unavailable(name+"."+k))
	}
	return sb.readOnly(name, t)
}

func (sb *sandbox) stringLib(orig *lua.LTable) *lua.LTable {
	charged := func(f lua.LGFunction) lua.LGFunction {
		return func(L *lua.LState) int {
			sb.budget.charge(L, len(L.CheckString(1)))
			return f(L)
		}
	}
	format := goFunc(orig, "format")
	return sb.readOnlyLib("string", orig, []string{"byte", "char", "len", "sub"}, map[string]lua.LGFunction{
		"find":    func(L *lua.LState) int { return sb.luaFind(L, true) },
		"match":   func(L *lua.LState) int { return sb.luaFind(L, false) },
		"gmatch":  sb.luaGmatch,
		"gsub":    sb.luaGsub,
		"rep":     sb.luaRep,
		"upper":   charged(goFunc(orig, "upper")),
		"lower":   charged(goFunc(orig, "lower")),
		"reverse": charged(goFunc(orig, "reverse")),
		"format": func(L *lua.LState) int {
			if bound := formatBound(L); bound > 2*sb.budget.maxString {
				sb.budget.charge(L, bound)
			}
			n := format(L)
			if s, ok := L.Get(-1).(lua.LString); ok {
				sb.budget.charge(L, len(s))
			}
			return n
		},
	}, "dump")
}

func (sb *sandbox) luaRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if n > sb.budget.maxString/len(s) {
		sb.budget.charge(L, sb.budget.maxString+1)
	}
	sb.budget.charge(L, len(s)*n)
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// formatBound checks string.format's format string as Lua 5.1 does
// (flags, at most two digits of width and of precision) and returns an
// upper bound of the result's length, so that nothing large is built
// before the budget is asked.
func formatBound(L *lua.LState) int {
	f := L.CheckString(1)
	bound, arg := 0, 1
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			bound++
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			bound++
			continue
		}
		start := i
		for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
			i++
		}
		if i-start > 5 {
			L.RaiseError("invalid format (repeated flags)")
		}
		i = skipDigits(L, f, i)
		if i < len(f) && f[i] == '.' {
			i = skipDigits(L, f, i+1)
		}
		if i >= len(f) {
			L.RaiseError("%s", "invalid option '%' to 'format'")
		}
		arg++
		if arg > L.GetTop() {
			L.ArgError(arg, "no value")
		}
		bound += 2 * 99 // width and precision
		switch f[i] {
		case 'c':
			bound++
		case 'd', 'i', 'o', 'u', 'x', 'X', 'e', 'E', 'f', 'g', 'G':
			bound += 400 // %f of 1e308
		case 's', 'q':
			bound += 2*len(L.ToStringMeta(L.Get(arg)).String()) + 2
		default:
			L.RaiseError("invalid option '%%%c' to 'format'", f[i])
		}
	}
	return bound
}

func skipDigits(L *lua.LState, f string, i int) int {
	start := i
	for i < len(f) && isDigit(f[i]) {
		i++
	}
	if i-start > 2 {
		L.RaiseError("invalid format (width or precision too long)")
	}
	return i
}

func (sb *sandbox) tableLib(orig *lua.LTable) *lua.LTable {
	writes := func(f lua.LGFunction, cost bool) lua.LGFunction {
		return func(L *lua.LState) int {
			t := L.CheckTable(1)
			sb.checkWritable(L, t)
			if cost {
				sb.budget.step(L, int64(t.Len()))
			}
			return f(L)
		}
	}
	return sb.readOnlyLib("table", orig, nil, map[string]lua.LGFunction{
		"concat": sb.luaTableConcat,
		"insert": writes(sb.tableInsert(goFunc(orig, "insert")), false),
		"remove": writes(goFunc(orig, "remove"), false),
		"sort":   writes(goFunc(orig, "sort"), true),
		"getn": func(L *lua.LState) int {
			L.Push(lua.LNumber(sb.backing(L.CheckTable(1)).Len()))
			return 1
		},
		"maxn": func(L *lua.LState) int {
			L.Push(lua.LNumber(sb.backing(L.CheckTable(1)).MaxN()))
			return 1
		},
	})
}

// tableInsert charges the slots table.insert(t, pos, v) would skip.
func (sb *sandbox) tableInsert(insert lua.LGFunction) lua.LGFunction {
	return func(L *lua.LState) int {
		if L.GetTop() == 3 {
			sb.chargeGap(L, L.CheckTable(1), float64(L.CheckNumber(2)))
		}
		return insert(L)
	}
}

func (sb *sandbox) luaTableConcat(L *lua.LState) int {
	t := sb.backing(L.CheckTable(1))
	sep := L.OptString(2, "")
	i := L.OptInt(3, 1)
	j := L.OptInt(4, t.Len())
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	total := 0
	for k := i; ; k++ {
		v := t.RawGetInt(k)
		if !lua.LVCanConvToString(v) {
			L.RaiseError("invalid value (at index %d) in table for 'concat'", k)
		}
		total += len(lua.LVAsString(v))
		if k == j {
			break
		}
		total += len(sep)
		if total > sb.budget.maxString {
			sb.budget.charge(L, total)
		}
	}
	sb.budget.step(L, int64(j-i+1))
	sb.budget.charge(L, total)
	var b strings.Builder
	b.Grow(total)
	for k := i; ; k++ {
		b.WriteString(lua.LVAsString(t.RawGetInt(k)))
		if k == j {
			break
		}
		b.WriteString(sep)
	}
	L.Push(lua.LString(b.String()))
	return 1
}

func (sb *sandbox) mathLib(orig *lua.LTable) *lua.LTable {
	var keep []string
	orig.ForEach(func(k, _ lua.LValue) {
		if name, ok := k.(lua.LString); ok && name != "random" && name != "randomseed" {
			keep = append(keep, string(name))
		}
	})
	return sb.readOnlyLib("math", orig, keep, nil, "random", "randomseed")
}

// maxDateFormat bounds os.date's format string (each directive expands to
// a few dozen bytes at most).
const maxDateFormat = 256

func (sb *sandbox) osLib(orig *lua.LTable) *lua.LTable {
	date := goFunc(orig, "date")
	return sb.readOnlyLib("os", orig, []string{"time", "clock"}, map[string]lua.LGFunction{
		"date": func(L *lua.LState) int {
			if len(L.OptString(1, "")) > maxDateFormat {
				L.ArgError(1, "format longer than 256 bytes")
			}
			n := date(L)
			if s, ok := L.Get(-1).(lua.LString); ok {
				sb.budget.charge(L, len(s))
			}
			return n
		},
	}, "execute", "exit", "getenv", "remove", "rename", "setenv", "setlocale", "tmpname", "difftime")
}
