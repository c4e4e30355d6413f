package scripts

import (
	"context"
	"testing"
)

// Fixtures shared by the selection tests.

// gpuNode is a well-equipped Linux node with every field set.
func gpuNode() NodeView {
	return NodeView{
		Name:        "gpu-01",
		Hostname:    "gpu01.cluster.example.org",
		OS:          "linux",
		Arch:        "amd64",
		CPUs:        32,
		MemTotal:    128 << 30,
		MemFree:     100 << 30,
		DiskFree:    500 << 30,
		Load1:       1.5,
		GPUs:        GPUs{Count: 2, Models: []string{"NVIDIA A100-SXM4-80GB", "NVIDIA A100-SXM4-80GB"}},
		Tags:        []string{"gpu", "ssd", "rack-7"},
		Source:      "static",
		IP:          "10.1.2.3",
		IdleSeconds: 600,
		Facts:       map[string]string{"cuda": "12.4", "site": "paris", "scratch": "yes"},
	}
}

// smallNode is a small ARM macOS node without GPU, IP or facts.
func smallNode() NodeView {
	return NodeView{
		Name:     "mac-01",
		Hostname: "mac01.local",
		OS:       "darwin",
		Arch:     "arm64",
		CPUs:     8,
		MemTotal: 16 << 30,
		MemFree:  2 << 30,
		DiskFree: 20 << 30,
		Load1:    6,
	}
}

var testVars = map[string]string{"PROJECT": "climate", "SIZE": "3"}

func newTestEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := NewEngine(opts)
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	return e
}

func mustCompile(t testing.TB, name, src string) *Script {
	t.Helper()
	s, err := Compile(name, src)
	if err != nil {
		t.Fatalf("Compile(%s): %v", name, err)
	}
	return s
}

// evalOn compiles src as test.lua and evaluates it on node.
func evalOn(t testing.TB, e *Engine, node NodeView, src string, args ...string) Verdict {
	t.Helper()
	return e.Evaluate(context.Background(), mustCompile(t, "test.lua", src), node, testVars, args)
}
