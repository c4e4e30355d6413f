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
	IP          string            // node.ip, the address the server sees ("" if unknown)
	IdleSeconds float64           // node.idle_seconds, time since it last ran a task
	Facts       map[string]string // node.facts, custom facts
}

// GPUs is a node's GPUs: how many, and their model names (one entry per
// GPU or per kind, as the node reports them).
type GPUs struct {
	Count  int
	Models []string
}

// NodeViewFromFacts fills what a node reports at registration; the
// caller adds the rest (disk, GPUs, source, IP, idle time, custom facts).
func NodeViewFromFacts(name string, f api.NodeFacts) NodeView {
	return NodeView{
		Name:     name,
		Hostname: f.Hostname,
		OS:       f.OS,
		Arch:     f.Arch,
		CPUs:     f.CPUs,
		MemTotal: f.MemoryTotal,
		MemFree:  f.MemoryFree,
		Load1:    f.Load1,
		Tags:     f.Tags,
	}
}

// nodeTable is the read-only `node` table of one evaluation. Every field
// is present (strings may be empty, lists and maps may be empty).
func (sb *sandbox) nodeTable(n *NodeView) *lua.LTable {
	L := sb.L
	t := L.CreateTable(0, 16)
	t.RawSetString("name", lua.LString(n.Name))
	t.RawSetString("hostname", lua.LString(n.Hostname))
	t.RawSetString("os", lua.LString(n.OS))
	t.RawSetString("arch", lua.LString(n.Arch))
	t.RawSetString("cpus", lua.LNumber(n.CPUs))
	t.RawSetString("mem_total", lua.LNumber(n.MemTotal))
	t.RawSetString("mem_free", lua.LNumber(n.MemFree))
	t.RawSetString("disk_free", lua.LNumber(n.DiskFree))
	t.RawSetString("load1", lua.LNumber(n.Load1))
	t.RawSetString("source", lua.LString(n.Source))
	t.RawSetString("ip", lua.LString(n.IP))
	t.RawSetString("idle_seconds", lua.LNumber(n.IdleSeconds))

	gpus := L.CreateTable(0, 2)
	gpus.RawSetString("count", lua.LNumber(n.GPUs.Count))
	gpus.RawSetString("models", sb.readOnly("node.gpus.models", stringList(L, n.GPUs.Models)))
	t.RawSetString("gpus", sb.readOnly("node.gpus", gpus))
	t.RawSetString("tags", sb.readOnly("node.tags", stringList(L, n.Tags)))
	t.RawSetString("facts", sb.readOnly("node.facts", stringMap(L, n.Facts)))
	return sb.readOnly("node", t)
}
