package scripts

import (
	"context"
	"fmt"
	"testing"
)

func TestVerdictCache(t *testing.T) {
	c := NewVerdictCache(0)
	yes, no := Verdict{Selected: true}, Verdict{Reason: ReasonFalse}
	k1, k2, k3 := Key{1}, Key{2}, Key{3}
	c.Put(k1, "n1", 1, yes)
	c.Put(k2, "n1", 1, no)
	c.Put(k1, "n2", 1, no)

	tests := []struct {
		key  Key
		node string
		gen  uint64
		want Verdict
		ok   bool
	}{
		{k1, "n1", 1, yes, true},
		{k2, "n1", 1, no, true},
		{k1, "n2", 1, no, true},
		{k1, "n1", 2, Verdict{}, false}, // newer facts
		{k3, "n1", 1, Verdict{}, false},
		{k1, "n3", 1, Verdict{}, false},
	}
	for _, tc := range tests {
		if v, ok := c.Get(tc.key, tc.node, tc.gen); ok != tc.ok || v != tc.want {
			t.Errorf("Get(%s, %s, %d) = %+v, %v; want %+v, %v", tc.key, tc.node, tc.gen, v, ok, tc.want, tc.ok)
		}
	}

	c.Put(k1, "n1", 0, no) // an older generation does not overwrite
	if v, _ := c.Get(k1, "n1", 1); v != yes {
		t.Errorf("older generation overwrote: %+v", v)
	}
	c.Put(k1, "n1", 3, no) // a newer one does
	if v, _ := c.Get(k1, "n1", 3); v != no {
		t.Errorf("newer generation did not overwrite: %+v", v)
	}
	c.InvalidateNode("n1")
	if _, ok := c.Get(k1, "n1", 3); ok {
		t.Errorf("n1 still cached after InvalidateNode")
	}
	if _, ok := c.Get(k1, "n2", 1); !ok {
		t.Errorf("InvalidateNode(n1) dropped n2's verdict")
	}
	if c.Len() != 1 {
		t.Errorf("Len() = %d, want 1", c.Len())
	}
}

func TestVerdictCacheBound(t *testing.T) {
	c := NewVerdictCache(3)
	for i := range 10 {
		c.Put(Key{byte(i)}, "n", 1, Verdict{Selected: true})
	}
	c.Put(Key{0}, "other", 1, Verdict{Selected: true})
	if c.Len() != 4 {
		t.Errorf("Len() = %d, want 3 for n and 1 for other", c.Len())
	}
	for i := range 10 {
		if _, ok := c.Get(Key{byte(i)}, "n", 1); ok != (i >= 7) {
			t.Errorf("key %d cached = %v, want only the 3 latest", i, ok)
		}
	}
	c.InvalidateNode("n")
	if c.Len() != 1 {
		t.Errorf("Len() = %d after InvalidateNode, want 1", c.Len())
	}
}

func TestSelectionKey(t *testing.T) {
	s := mustCompile(t, "a.lua", "return true")
	s2 := mustCompile(t, "a.lua", "return false")
	base := NewSelection(s, map[string]string{"A": "1", "B": "2"}, []string{"x", "y"})
	same := NewSelection(s, map[string]string{"B": "2", "A": "1"}, []string{"x", "y"})
	if base.Key() != same.Key() || base.Key() != (Selection{Script: s, Vars: base.Vars, Args: base.Args}).Key() {
		t.Errorf("equal selections have different keys")
	}
	if len(base.Key().String()) != 32 {
		t.Errorf("Key().String() = %q, want 32 hex digits", base.Key())
	}
	for name, other := range map[string]Selection{
		"script":     NewSelection(s2, base.Vars, base.Args),
		"args":       NewSelection(s, base.Vars, []string{"x"}),
		"args split": NewSelection(s, base.Vars, []string{"xy"}),
		"args order": NewSelection(s, base.Vars, []string{"y", "x"}),
		"vars":       NewSelection(s, map[string]string{"A": "1", "B": "3"}, base.Args),
		"var moved":  NewSelection(s, map[string]string{"A": "12"}, base.Args),
		"no vars":    NewSelection(s, nil, base.Args),
	} {
		if other.Key() == base.Key() {
			t.Errorf("%s: same key as the base selection", name)
		}
	}
}

// A static script is evaluated once per node and facts generation, never
// twice on an unchanged node.
func TestSelectEvaluatesOncePerNode(t *testing.T) {
	e := newTestEngine(t, Options{})
	c := NewVerdictCache(0)
	sel := NewSelection(mustCompile(t, "gpu.lua", `return sel.has_gpu()`), testVars, nil)
	nodes := make([]NodeView, 50)
	gens := make([]uint64, 50)
	for i := range nodes {
		gens[i] = 7
		nodes[i] = gpuNode()
		nodes[i].Name = fmt.Sprint("node-", i)
		if i%2 == 1 {
			nodes[i].GPUs = GPUs{}
		}
	}
	round := func() {
		t.Helper()
		for i, n := range nodes {
			v := e.Select(context.Background(), c, sel, n, gens[i])
			if v.Selected != (n.GPUs.Count > 0) {
				t.Fatalf("%s: %+v", n.Name, v)
			}
		}
	}
	for range 3 {
		round()
	}
	if n := e.Evaluations(); n != 50 {
		t.Fatalf("%d evaluations after 3 rounds on 50 unchanged nodes, want 50", n)
	}

	// node-3's facts change (new generation), node-4 is invalidated:
	// those two are evaluated again, nobody else.
	nodes[3].GPUs = GPUs{Count: 1}
	gens[3] = 8
	c.InvalidateNode("node-4")
	round()
	if n := e.Evaluations(); n != 52 {
		t.Errorf("%d evaluations, want 52", n)
	}

	// Other arguments are another selection.
	other := NewSelection(sel.Script, testVars, []string{"x"})
	e.Select(context.Background(), c, other, nodes[0], 7)
	e.Select(context.Background(), c, other, nodes[0], 7)
	if n := e.Evaluations(); n != 53 {
		t.Errorf("%d evaluations, want 53", n)
	}
}

// A cancelled evaluation is not the node's verdict and is not kept.
func TestSelectDoesNotCacheCancelled(t *testing.T) {
	e := newTestEngine(t, Options{})
	c := NewVerdictCache(0)
	sel := NewSelection(mustCompile(t, "yes.lua", `return true`), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if v := e.Select(ctx, c, sel, gpuNode(), 1); v.Reason != ReasonCancelled {
		t.Fatalf("verdict = %+v", v)
	}
	if v := e.Select(context.Background(), c, sel, gpuNode(), 1); !v.Selected {
		t.Errorf("after a cancelled evaluation: %+v", v)
	}
}

// Failures are verdicts and are cached like any other: a bomb is not
// evaluated again on the same facts.
func TestSelectCachesFailures(t *testing.T) {
	e := newTestEngine(t, Options{})
	c := NewVerdictCache(0)
	sel := NewSelection(mustCompile(t, "loop.lua", `while true do end`), nil, nil)
	a := e.Select(context.Background(), c, sel, gpuNode(), 1)
	b := e.Select(context.Background(), c, sel, gpuNode(), 1)
	if a != b || a.Selected || e.Evaluations() != 1 {
		t.Errorf("verdicts %+v, %+v after %d evaluations, want one cached failure", a, b, e.Evaluations())
	}
}

func TestSelectNodes(t *testing.T) {
	e := newTestEngine(t, Options{})
	c := NewVerdictCache(0)
	sel := NewSelection(mustCompile(t, "mem.lua", `return sel.min_memory(args[1])`), nil, []string{"64GiB"})
	nodes := make([]Candidate, 1000)
	for i := range nodes {
		n := gpuNode()
		n.Name = fmt.Sprint("n", i)
		n.MemTotal = int64(i) << 30
		nodes[i] = Candidate{Node: n, Generation: 1}
	}
	for range 2 {
		got := e.SelectNodes(context.Background(), c, sel, nodes)
		for i, v := range got {
			if v.Selected != (i >= 64) {
				t.Fatalf("node %d: %+v", i, v)
			}
		}
	}
	if n := e.Evaluations(); n != 1000 {
		t.Errorf("%d evaluations, want 1000", n)
	}
	if got := e.SelectNodes(context.Background(), nil, sel, nil); len(got) != 0 {
		t.Errorf("no nodes: %v", got)
	}
}
