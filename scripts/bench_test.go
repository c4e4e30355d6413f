package scripts

import (
	"context"
	"fmt"
	"testing"
)

// benchScript is a typical static selection script: a few helpers and a
// look at the node table.
const benchScript = `
if not sel.os_is("linux") then return false end
if not sel.min_memory(args[1]) then return false end
return sel.has_tag("ssd") and node.cpus >= 8 and node.facts.site ~= "lyon"
`

// benchNodes are 10,000 distinct nodes, half of them selected.
func benchNodes() []Candidate {
	nodes := make([]Candidate, 10_000)
	for i := range nodes {
		n := gpuNode()
		n.Name = fmt.Sprintf("node-%05d", i)
		n.Hostname = n.Name + ".cluster.example.org"
		n.MemTotal = int64(i%64) << 30
		nodes[i] = Candidate{Node: n, Generation: 1}
	}
	return nodes
}

// BenchmarkSelectCold evaluates one static script on 10,000 distinct
// nodes with an empty cache, on GOMAXPROCS workers. One op is 10,000
// evaluations. Target: at most 500 ms on 2 cores.
func BenchmarkSelectCold(b *testing.B) {
	e := newTestEngine(b, Options{})
	sel := NewSelection(mustCompile(b, "bench.lua", benchScript), testVars, []string{"32GiB"})
	nodes := benchNodes()
	b.ReportAllocs()
	for b.Loop() {
		c := NewVerdictCache(0)
		out := e.SelectNodes(context.Background(), c, sel, nodes)
		if !out[40].Selected || out[1].Selected || c.Len() != len(nodes) {
			b.Fatalf("wrong verdicts: %+v %+v", out[40], out[1])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(nodes)), "ns/node")
}

// BenchmarkSelectWarm answers 10,000 verdicts from the cache, on
// GOMAXPROCS workers. One op is 10,000 lookups. Target: at most 2 ms.
func BenchmarkSelectWarm(b *testing.B) {
	e := newTestEngine(b, Options{})
	sel := NewSelection(mustCompile(b, "bench.lua", benchScript), testVars, []string{"32GiB"})
	nodes := benchNodes()
	c := NewVerdictCache(0)
	e.SelectNodes(context.Background(), c, sel, nodes)
	evals := e.Evaluations()
	b.ReportAllocs()
	for b.Loop() {
		e.SelectNodes(context.Background(), c, sel, nodes)
	}
	if e.Evaluations() != evals {
		b.Fatalf("warm lookups evaluated scripts")
	}
}

// BenchmarkCacheGet is 10,000 sequential cache lookups on one goroutine.
func BenchmarkCacheGet(b *testing.B) {
	sel := NewSelection(mustCompile(b, "bench.lua", benchScript), testVars, []string{"32GiB"})
	nodes := benchNodes()
	c := NewVerdictCache(0)
	for _, n := range nodes {
		c.Put(sel.Key(), n.Node.Name, n.Generation, Verdict{Selected: true})
	}
	key := sel.Key()
	b.ReportAllocs()
	for b.Loop() {
		for _, n := range nodes {
			if _, ok := c.Get(key, n.Node.Name, n.Generation); !ok {
				b.Fatal("miss")
			}
		}
	}
}

// BenchmarkEvaluate is one evaluation on one goroutine, pooled state.
func BenchmarkEvaluate(b *testing.B) {
	e := newTestEngine(b, Options{})
	s := mustCompile(b, "bench.lua", benchScript)
	node := gpuNode()
	args := []string{"32GiB"}
	b.ReportAllocs()
	for b.Loop() {
		e.Evaluate(context.Background(), s, node, testVars, args)
	}
}
