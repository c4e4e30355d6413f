package scripts

import (
	"context"
	"slices"
	"strings"
	"testing"
)

func TestLibraryLookup(t *testing.T) {
	names := LibraryNames()
	for _, want := range []string{"linux.lua", "gpu.lua", "min-memory.lua"} {
		if !slices.Contains(names, want) {
			t.Errorf("LibraryNames() = %v, want it to contain %s", names, want)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("LibraryNames() not sorted: %v", names)
	}
	a, ok := Library("gpu")
	b, ok2 := Library("gpu.lua")
	if !ok || !ok2 || a != b || !strings.Contains(a, "sel.has_gpu") {
		t.Errorf(`Library("gpu") and Library("gpu.lua") differ or are missing`)
	}
	for _, bad := range []string{"nope", "../doc.go", "library/gpu.lua", ""} {
		if _, ok := Library(bad); ok {
			t.Errorf("Library(%q) found something", bad)
		}
	}
	for _, name := range names {
		src, _ := Library(name)
		if !strings.HasPrefix(src, "-- "+name+":") {
			t.Errorf("%s does not start with a comment naming it", name)
		}
		if _, err := Compile(name, src); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The shipped scripts, with their arguments.
func TestLibraryScripts(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		gpu, small string // "" for selected, else the reason
		err        string // substring of Err when an argument is wrong
	}{
		{name: "linux", small: ReasonFalse},
		{name: "os", args: []string{"darwin", "windows"}, gpu: ReasonFalse},
		{name: "os", gpu: ReasonError, small: ReasonError, err: "needs at least one OS"},
		{name: "arch", args: []string{"x86_64"}, small: ReasonFalse},
		{name: "gpu", small: ReasonFalse},
		{name: "gpu", args: []string{"a100"}, small: ReasonFalse},
		{name: "gpu", args: []string{"A100", "2"}, small: ReasonFalse},
		{name: "gpu", args: []string{"", "3"}, gpu: ReasonFalse, small: ReasonFalse},
		{name: "gpu", args: []string{"H100"}, gpu: ReasonFalse, small: ReasonFalse},
		{name: "gpu", args: []string{"a100", "two"}, gpu: ReasonError, small: ReasonError, err: "count must be a number, got two"},
		{name: "min-memory", args: []string{"32GiB"}, small: ReasonFalse},
		{name: "min-memory", args: []string{"16GiB"}},
		{name: "min-memory", gpu: ReasonError, small: ReasonError, err: "min-memory.lua needs a size"},
		{name: "min-memory", args: []string{"plenty"}, gpu: ReasonError, small: ReasonError, err: "invalid size"},
		{name: "min-free-memory", args: []string{"4GiB"}, small: ReasonFalse},
		{name: "min-cpus", args: []string{"16"}, small: ReasonFalse},
		{name: "min-cpus", gpu: ReasonError, small: ReasonError, err: "needs a number"},
		{name: "min-disk", args: []string{"100GiB"}, small: ReasonFalse},
		{name: "has-tags", args: []string{"gpu", "ssd"}, small: ReasonFalse},
		{name: "has-tags", args: []string{"gpu", "nvme"}, gpu: ReasonFalse, small: ReasonFalse},
		{name: "hostname", args: []string{`^gpu%d+%.cluster`}, small: ReasonFalse},
		{name: "subnet", args: []string{"10.1.0.0/16"}, small: ReasonFalse},
		{name: "subnet", args: []string{"nonsense"}, gpu: ReasonError, small: ReasonError, err: "invalid CIDR"},
		{name: "max-load", args: []string{"2.5"}, small: ReasonFalse},
		{name: "idle", args: []string{"60"}, small: ReasonFalse},
		{name: "fact", args: []string{"site", "paris"}, small: ReasonFalse},
		{name: "fact-at-least", args: []string{"cuda", "12"}, small: ReasonFalse},
		{name: "fact-at-least", args: []string{"cuda"}, gpu: ReasonError, small: ReasonError, err: "needs a fact name and a number"},
	}
	e := newTestEngine(t, Options{})
	for _, tc := range tests {
		src, ok := Library(tc.name)
		if !ok {
			t.Fatalf("no shipped script %s", tc.name)
		}
		s, err := e.Compile(tc.name+".lua", src)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []struct {
			node NodeView
			want string
		}{{gpuNode(), tc.gpu}, {smallNode(), tc.small}} {
			v := e.Evaluate(context.Background(), s, n.node, nil, tc.args)
			if v.Selected != (n.want == "") || v.Reason != n.want {
				t.Errorf("%s %q on %s = %+v, want reason %q", tc.name, tc.args, n.node.Name, v, n.want)
			}
			if n.want == ReasonError && (!strings.Contains(v.Err, tc.err) || !strings.HasPrefix(v.Err, tc.name+".lua:")) {
				t.Errorf("%s %q: Err = %q, want %s.lua:... containing %q", tc.name, tc.args, v.Err, tc.name, tc.err)
			}
		}
	}
}
