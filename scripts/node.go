package scripts

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/shrike-grid/shrike/api"
)

// NodeView is what a selection script knows about a node: the `node`
// table. The caller builds it (NodeViewFromFacts covers what a node
// reports at registration) and is responsible for its facts generation
// (see VerdictCache).
type NodeView struct {
	Name        string            // node.name
	Hostname    string            // node.hostname
	OS          string            // node.os, as Go names it: "linux", "darwin", "windows"
	Arch        string            // node.arch, as Go names it: "amd64", "arm64"
	CPUs        int               // node.cpus
	MemTotal    int64             // node.mem_total, bytes
	MemFree     int64             // node.mem_free, bytes
	DiskFree    int64             // node.disk_free, bytes in the work directory
	Load1       float64           // node.load1, one-minute load average
	GPUs        GPUs              // node.gpus.count, node.gpus.models
	Tags        []string          // node.tags, a list
	Source      string            // node.source, the node source it came from ("" if none)
	IP          string            // node.ip, the node's first reported address ("" if unknown)
	IdleSeconds float64           // node.idle_seconds, time since it last ran a task
	Facts       map[string]string // node.facts, custom facts
}

// GPUs is a node's GPUs: how many, and their model names (one entry per
// GPU or per kind, as the node reports them).
type GPUs struct {
	Count  int
	Models []string
}

// NodeViewFromFacts fills what a node reports about itself: at
// registration, plus the free memory, load and free disk its heartbeats
// refresh. IP is the first address the node reports. The caller adds the
// rest (source, idle time) and may override IP with the address the
// server sees.
func NodeViewFromFacts(name string, f api.NodeFacts) NodeView {
	v := NodeView{
		Name:     name,
		Hostname: f.Hostname,
		OS:       f.OS,
		Arch:     f.Arch,
		CPUs:     f.CPUs,
		MemTotal: f.MemoryTotal,
		MemFree:  f.MemoryFree,
		DiskFree: f.DiskFree,
		Load1:    f.Load1,
		Tags:     f.Tags,
		Facts:    f.Custom,
	}
	if len(f.GPUs) > 0 {
		v.GPUs.Count = len(f.GPUs)
		v.GPUs.Models = make([]string, len(f.GPUs))
		for i, g := range f.GPUs {
			v.GPUs.Models[i] = g.Model
		}
	}
	if len(f.IPs) > 0 {
		v.IP = f.IPs[0]
	}
	return v
}

// nodeFields are the fields of the node table, in documentation order.
var nodeFields = []string{
	"name", "hostname", "os", "arch", "cpus", "mem_total", "mem_free",
	"disk_free", "load1", "gpus", "tags", "source", "ip", "idle_seconds", "facts",
}

// nodeField is node[name] for the node being evaluated. The tables in it
// (gpus, tags, facts) are built on first use and are the same table for
// the rest of the evaluation.
func (sb *sandbox) nodeField(name string) lua.LValue {
	L, ev, n := sb.L, &sb.ev, sb.ev.node
	switch name {
	case "name":
		return lua.LString(n.Name)
	case "hostname":
		return lua.LString(n.Hostname)
	case "os":
		return lua.LString(n.OS)
	case "arch":
		return lua.LString(n.Arch)
	case "cpus":
		return lua.LNumber(n.CPUs)
	case "mem_total":
		return lua.LNumber(n.MemTotal)
	case "mem_free":
		return lua.LNumber(n.MemFree)
	case "disk_free":
		return lua.LNumber(n.DiskFree)
	case "load1":
		return lua.LNumber(n.Load1)
	case "source":
		return lua.LString(n.Source)
	case "ip":
		return lua.LString(n.IP)
	case "idle_seconds":
		return lua.LNumber(n.IdleSeconds)
	case "gpus":
		if ev.gpus == nil {
			gpus := L.CreateTable(0, 2)
			gpus.RawSetString("count", lua.LNumber(n.GPUs.Count))
			gpus.RawSetString("models", sb.readOnly("node.gpus.models", stringList(L, n.GPUs.Models)))
			ev.gpus = sb.readOnly("node.gpus", gpus)
		}
		return ev.gpus
	case "tags":
		if ev.tags == nil {
			ev.tags = sb.readOnly("node.tags", stringList(L, n.Tags))
		}
		return ev.tags
	case "facts":
		if ev.facts == nil {
			ev.facts = sb.readOnly("node.facts", stringMap(L, n.Facts))
		}
		return ev.facts
	}
	return lua.LNil
}

// luaNodeIndex is the __index of the `node` view: fields are read from
// the NodeView when the script asks for them, so a script that uses only
// sel helpers or a few fields builds no table.
func (sb *sandbox) luaNodeIndex(L *lua.LState) int {
	name, ok := L.Get(2).(lua.LString)
	if !ok {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(sb.nodeField(string(name)))
	return 1
}

// nodeData is the whole node table, for pairs, next and the like.
func (sb *sandbox) nodeData() *lua.LTable {
	if sb.ev.nodeData == nil {
		t := sb.L.CreateTable(0, len(nodeFields))
		for _, name := range nodeFields {
			t.RawSetString(name, sb.nodeField(name))
		}
		sb.ev.nodeData = t
	}
	return sb.ev.nodeData
}

// luaArgsIndex is the __index of the `args` view.
func (sb *sandbox) luaArgsIndex(L *lua.LState) int {
	i, ok := L.Get(2).(lua.LNumber)
	if !ok || i < 1 || float64(i) > float64(len(sb.ev.args)) || i != lua.LNumber(int(i)) {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(sb.ev.args[int(i)-1]))
	return 1
}

func (sb *sandbox) argsData() *lua.LTable {
	if sb.ev.argsData == nil {
		sb.ev.argsData = stringList(sb.L, sb.ev.args)
	}
	return sb.ev.argsData
}

// luaVarsIndex is the __index of the `vars` view.
func (sb *sandbox) luaVarsIndex(L *lua.LState) int {
	name, ok := L.Get(2).(lua.LString)
	v, found := sb.ev.vars[string(name)]
	if !ok || !found {
		L.Push(lua.LNil)
		return 1
	}
	L.Push(lua.LString(v))
	return 1
}

func (sb *sandbox) varsData() *lua.LTable {
	if sb.ev.varsData == nil {
		sb.ev.varsData = stringMap(sb.L, sb.ev.vars)
	}
	return sb.ev.varsData
}
