package scripts

import (
	"strings"
	"testing"
)

// Every sel helper, on the GPU node and the small node.
func TestSelHelpers(t *testing.T) {
	tests := []struct {
		src        string
		gpu, small bool
	}{
		{`return sel.os_is("linux")`, true, false},
		{`return sel.os_is("Linux")`, true, false},
		{`return sel.os_is("windows", "darwin")`, false, true},
		{`return sel.arch_is("amd64")`, true, false},
		{`return sel.arch_is("x86_64")`, true, false},
		{`return sel.arch_is("aarch64")`, false, true},
		{`return sel.arch_is("386", "arm64")`, false, true},
		{`return sel.min_cpus(16)`, true, false},
		{`return sel.min_cpus(8)`, true, true},
		{`return sel.min_memory("64GiB")`, true, false},
		{`return sel.min_memory(16 * 2^30)`, true, true},
		{`return sel.min_memory("16GiB")`, true, true},
		{`return sel.min_memory("17179869185")`, true, false},
		{`return sel.min_free_memory("4GiB")`, true, false},
		{`return sel.min_free_memory("1.5G")`, true, true},
		{`return sel.min_disk("100GiB")`, true, false},
		{`return sel.min_disk("20GiB")`, true, true},
		{`return sel.max_load(2)`, true, false},
		{`return sel.max_load(6)`, true, true},
		{`return sel.min_idle(300)`, true, false},
		{`return sel.min_idle(0)`, true, true},
		{`return sel.has_tag("gpu")`, true, false},
		{`return sel.has_tag("gpu", "ssd")`, true, false},
		{`return sel.has_tag("gpu", "nvme")`, false, false},
		{`return sel.has_any_tag("nvme", "ssd")`, true, false},
		{`return sel.has_any_tag("nvme")`, false, false},
		{`return sel.ip_in("10.0.0.0/8")`, true, false},
		{`return sel.ip_in("192.168.0.0/16", "10.1.2.0/24")`, true, false},
		{`return sel.ip_in("10.1.3.0/24")`, false, false},
		{`return sel.ip_in("::/0")`, false, false},
		{`return sel.hostname_matches("^gpu%d+%.")`, true, false},
		{`return sel.hostname_matches("example%.org$")`, true, false},
		{`return sel.hostname_matches("%.local$")`, false, true},
		{`return sel.hostname_matches("cluster")`, true, false},
		{`return sel.has_gpu()`, true, false},
		{`return sel.has_gpu("a100")`, true, false},
		{`return sel.has_gpu("A100", 2)`, true, false},
		{`return sel.has_gpu("", 2)`, true, false},
		{`return sel.has_gpu("a100", 4)`, false, false},
		{`return sel.has_gpu("H100")`, false, false},
		{`return sel.fact("site") == "paris"`, true, false},
		{`return sel.fact("nope") == nil`, true, true},
		{`return sel.fact_equals("site", "paris")`, true, false},
		{`return sel.fact_equals("site", "lyon")`, false, false},
		{`return sel.fact_at_least("cuda", 12)`, true, false},
		{`return sel.fact_at_least("cuda", 12.5)`, false, false},
		{`return sel.fact_at_least("site", 1)`, false, false},
		{`return sel.bytes("1KiB") == 1024 and sel.bytes(5) == 5`, true, true},
		{`return node.mem_free >= sel.bytes("4GiB")`, true, false},
	}
	e := newTestEngine(t, Options{})
	for _, tc := range tests {
		for _, n := range []struct {
			node NodeView
			want bool
		}{{gpuNode(), tc.gpu}, {smallNode(), tc.small}} {
			v := evalOn(t, e, n.node, tc.src)
			if v.Selected != n.want || (!v.Selected && v.Reason != ReasonFalse) {
				t.Errorf("%s on %s = %+v, want selected=%v", tc.src, n.node.Name, v, n.want)
			}
		}
	}
}

// Bad arguments to a helper are script errors with a message.
func TestSelHelperErrors(t *testing.T) {
	tests := map[string]struct {
		src, err string
	}{
		"no os":           {`return sel.os_is()`, "at least one value"},
		"bad size":        {`return sel.min_memory("lots")`, "invalid size"},
		"size type":       {`return sel.min_disk({})`, "size expected"},
		"bad cidr":        {`return sel.ip_in("10.0.0.0/99")`, "invalid CIDR"},
		"cpus not number": {`return sel.min_cpus("many")`, "number expected"},
		"bad pattern":     {`return sel.hostname_matches("[a")`, "malformed pattern"},
		"no fact name":    {`return sel.fact_equals()`, "string expected"},
		"sel is readonly": {`sel.os_is = nil`, "sel is read-only"},
	}
	e := newTestEngine(t, Options{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := evalOn(t, e, gpuNode(), tc.src)
			if v.Selected || v.Reason != ReasonError || !strings.Contains(v.Err, tc.err) {
				t.Errorf("verdict = %+v, want %q containing %q", v, ReasonError, tc.err)
			}
		})
	}
}

// The node table has every field of NodeView.
func TestNodeTable(t *testing.T) {
	src := `
local n = node
assert(n.name == "gpu-01", "name")
assert(n.hostname == "gpu01.cluster.example.org", "hostname")
assert(n.os == "linux" and n.arch == "amd64", "os/arch")
assert(n.cpus == 32, "cpus")
assert(n.mem_total == 128 * 2^30 and n.mem_free == 100 * 2^30, "memory")
assert(n.disk_free == 500 * 2^30, "disk")
assert(n.load1 == 1.5, "load1")
assert(n.gpus.count == 2 and #n.gpus.models == 2 and n.gpus.models[1]:find("A100"), "gpus")
assert(#n.tags == 3 and n.tags[3] == "rack-7", "tags")
assert(n.source == "static" and n.ip == "10.1.2.3", "source/ip")
assert(n.idle_seconds == 600, "idle")
assert(n.facts.cuda == "12.4" and n.facts.site == "paris", "facts")
local keys = {}
for k in pairs(n) do keys[#keys + 1] = k end
table.sort(keys)
assert(table.concat(keys, ",") == "arch,cpus,disk_free,facts,gpus,hostname,idle_seconds,ip,load1,mem_free,mem_total,name,os,source,tags", table.concat(keys, ","))
local tags = {}
for i, tag in ipairs(n.tags) do tags[i] = tag end
assert(table.concat(tags, " ") == "gpu ssd rack-7" and table.concat(n.tags, " ") == "gpu ssd rack-7", "ipairs/concat")
assert(select("#", unpack(n.tags)) == 3 and rawget(n, "cpus") == 32 and next(n.facts) ~= nil, "unpack/rawget/next")
assert(table.getn(n.tags) == 3 and table.maxn(n.tags) == 3, "getn/maxn")
return true
`
	e := newTestEngine(t, Options{})
	if v := evalOn(t, e, gpuNode(), src); !v.Selected {
		t.Errorf("verdict = %+v", v)
	}
	empty := `return node.name == "" and node.gpus.count == 0 and #node.tags == 0 and next(node.facts) == nil and node.ip == ""`
	if v := evalOn(t, e, NodeView{}, empty); !v.Selected {
		t.Errorf("empty node: verdict = %+v", v)
	}
}
