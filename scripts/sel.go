package scripts

import (
	"net/netip"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/shrike-grid/shrike/api"
)

// The `sel` helper library, in the spirit of ProActive's SelectionUtils.
// Every helper answers about the node being evaluated and returns a
// boolean (sel.fact and sel.bytes return a value); bad arguments raise an
// error, which makes the verdict false with the message. The helpers read
// the NodeView itself, not the Lua `node` table.
//
// Sizes are numbers of bytes or strings such as "512MiB", "8GiB", "1.5G"
// (api.ParseByteSize).
func (sb *sandbox) selLib() *lua.LTable {
	return sb.readOnlyLib("sel", sb.L.NewTable(), nil, map[string]lua.LGFunction{
		"os_is":            sb.selOSIs,
		"arch_is":          sb.selArchIs,
		"min_cpus":         sb.selMinCPUs,
		"min_memory":       sb.selMinMemory,
		"min_free_memory":  sb.selMinFreeMemory,
		"min_disk":         sb.selMinDisk,
		"max_load":         sb.selMaxLoad,
		"min_idle":         sb.selMinIdle,
		"has_tag":          sb.selHasTag,
		"has_any_tag":      sb.selHasAnyTag,
		"ip_in":            sb.selIPIn,
		"hostname_matches": sb.selHostnameMatches,
		"has_gpu":          sb.selHasGPU,
		"fact":             sb.selFact,
		"fact_equals":      sb.selFactEquals,
		"fact_at_least":    sb.selFactAtLeast,
		"bytes":            selBytes,
	})
}

func pushBool(L *lua.LState, b bool) int {
	L.Push(lua.LBool(b))
	return 1
}

// stringArgs returns the arguments as strings, at least one.
func stringArgs(L *lua.LState) []string {
	n := L.GetTop()
	if n == 0 {
		L.ArgError(1, "at least one value expected")
	}
	out := make([]string, n)
	for i := 1; i <= n; i++ {
		out[i-1] = L.CheckString(i)
	}
	return out
}

func sizeArg(L *lua.LState, i int) int64 {
	switch v := L.Get(i).(type) {
	case lua.LNumber:
		return int64(v)
	case lua.LString:
		n, err := api.ParseByteSize(string(v))
		if err != nil {
			L.ArgError(i, err.Error())
		}
		return int64(n)
	}
	L.ArgError(i, `size expected (bytes, or a string like "8GiB")`)
	return 0
}

// sel.os_is(name, ...): the node's OS is one of the names (any case).
func (sb *sandbox) selOSIs(L *lua.LState) int {
	for _, name := range stringArgs(L) {
		if strings.EqualFold(name, sb.ev.node.OS) {
			return pushBool(L, true)
		}
	}
	return pushBool(L, false)
}

// archAliases maps other names of an architecture to Go's.
var archAliases = map[string]string{
	"x86_64": "amd64", "x64": "amd64", "aarch64": "arm64",
	"i386": "386", "i686": "386", "x86": "386",
}

func normArch(s string) string {
	s = strings.ToLower(s)
	if a, ok := archAliases[s]; ok {
		return a
	}
	return s
}

// sel.arch_is(name, ...): the node's architecture is one of the names;
// x86_64 and amd64, aarch64 and arm64 are the same.
func (sb *sandbox) selArchIs(L *lua.LState) int {
	arch := normArch(sb.ev.node.Arch)
	for _, name := range stringArgs(L) {
		if normArch(name) == arch {
			return pushBool(L, true)
		}
	}
	return pushBool(L, false)
}

// sel.min_cpus(n): at least n CPUs.
func (sb *sandbox) selMinCPUs(L *lua.LState) int {
	return pushBool(L, float64(sb.ev.node.CPUs) >= float64(L.CheckNumber(1)))
}

// sel.min_memory(size): at least size bytes of memory in total.
func (sb *sandbox) selMinMemory(L *lua.LState) int {
	return pushBool(L, sb.ev.node.MemTotal >= sizeArg(L, 1))
}

// sel.min_free_memory(size): at least size bytes of memory free.
func (sb *sandbox) selMinFreeMemory(L *lua.LState) int {
	return pushBool(L, sb.ev.node.MemFree >= sizeArg(L, 1))
}

// sel.min_disk(size): at least size bytes of disk free.
func (sb *sandbox) selMinDisk(L *lua.LState) int {
	return pushBool(L, sb.ev.node.DiskFree >= sizeArg(L, 1))
}

// sel.max_load(x): one-minute load average at most x.
func (sb *sandbox) selMaxLoad(L *lua.LState) int {
	return pushBool(L, sb.ev.node.Load1 <= float64(L.CheckNumber(1)))
}

// sel.min_idle(seconds): idle for at least that long.
func (sb *sandbox) selMinIdle(L *lua.LState) int {
	return pushBool(L, sb.ev.node.IdleSeconds >= float64(L.CheckNumber(1)))
}

func (sb *sandbox) hasTag(tag string) bool {
	for _, t := range sb.ev.node.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// sel.has_tag(tag, ...): the node has every one of the tags.
func (sb *sandbox) selHasTag(L *lua.LState) int {
	for _, tag := range stringArgs(L) {
		if !sb.hasTag(tag) {
			return pushBool(L, false)
		}
	}
	return pushBool(L, true)
}

// sel.has_any_tag(tag, ...): the node has at least one of the tags.
func (sb *sandbox) selHasAnyTag(L *lua.LState) int {
	for _, tag := range stringArgs(L) {
		if sb.hasTag(tag) {
			return pushBool(L, true)
		}
	}
	return pushBool(L, false)
}

// sel.ip_in(cidr, ...): the node's IP is inside one of the networks
// ("10.0.0.0/8", "fd00::/8"). A node without an IP is in none.
func (sb *sandbox) selIPIn(L *lua.LState) int {
	cidrs := stringArgs(L)
	prefixes := make([]netip.Prefix, len(cidrs))
	for i, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			L.ArgError(i+1, "invalid CIDR "+strconv.Quote(c))
		}
		prefixes[i] = p
	}
	ip, err := netip.ParseAddr(sb.ev.node.IP)
	if err != nil {
		return pushBool(L, false)
	}
	ip = ip.Unmap()
	for _, p := range prefixes {
		if p.Contains(ip) {
			return pushBool(L, true)
		}
	}
	return pushBool(L, false)
}

// sel.hostname_matches(pattern): the Lua pattern matches the hostname
// (anywhere, unless anchored with ^ and $).
func (sb *sandbox) selHostnameMatches(L *lua.LState) int {
	pat := L.CheckString(1)
	return pushBool(L, sb.patternFind(L, sb.ev.node.Hostname, pat))
}

// sel.has_gpu([model [, count]]): at least count GPUs (default 1) and, if
// model is given and not empty, a GPU whose model contains it (any case).
func (sb *sandbox) selHasGPU(L *lua.LState) int {
	model := L.OptString(1, "")
	count := L.OptInt(2, 1)
	g := sb.ev.node.GPUs
	if g.Count < count || g.Count == 0 {
		return pushBool(L, false)
	}
	if model == "" {
		return pushBool(L, true)
	}
	model = strings.ToLower(model)
	for _, m := range g.Models {
		if strings.Contains(strings.ToLower(m), model) {
			return pushBool(L, true)
		}
	}
	return pushBool(L, false)
}

// sel.fact(name): the custom fact's value, or nil.
func (sb *sandbox) selFact(L *lua.LState) int {
	v, ok := sb.ev.node.Facts[L.CheckString(1)]
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(v))
	return 1
}

// sel.fact_equals(name, value): the custom fact is present and equals
// value (numbers compared as their Lua string form).
func (sb *sandbox) selFactEquals(L *lua.LState) int {
	name := L.CheckString(1)
	want := L.CheckString(2)
	v, ok := sb.ev.node.Facts[name]
	return pushBool(L, ok && v == want)
}

// sel.fact_at_least(name, n): the custom fact is a number at least n. A
// missing or non-numeric fact is false.
func (sb *sandbox) selFactAtLeast(L *lua.LState) int {
	name := L.CheckString(1)
	want := float64(L.CheckNumber(2))
	v, ok := sb.ev.node.Facts[name]
	if !ok {
		return pushBool(L, false)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return pushBool(L, err == nil && f >= want)
}

// sel.bytes(size): the size as a number of bytes ("8GiB" → 8589934592).
func selBytes(L *lua.LState) int {
	L.Push(lua.LNumber(sizeArg(L, 1)))
	return 1
}
