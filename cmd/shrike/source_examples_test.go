package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/policies"
	"github.com/shrike-grid/shrike/rm/infra"
)

// TestSourceExamples parses every node source shipped in
// examples/sources/ as `source create -f` does (unknown fields refused),
// and checks that its kinds exist and name only their own parameters.
// The values are the server's to check.
func TestSourceExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "sources", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found %d examples in ../../examples/sources, want at least 4", len(files))
	}
	infras := map[string][]api.Param{}
	for _, k := range infra.Describe() {
		infras[k.Name] = k.Params
	}
	pols := map[string][]api.Param{}
	for _, k := range policies.Kinds() {
		pols[k.Name] = k.Describe()
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			spec, err := parseSourceSpec(data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if _, err := parseSourceName(spec.Name); err != nil {
				t.Errorf("name: %v", err)
			}
			checkPlugin(t, "infrastructure", spec.Infrastructure, infras)
			checkPlugin(t, "policy", spec.Policy, pols)
		})
	}
}

// checkPlugin checks that a plugin's kind is known and its parameters are
// the kind's.
func checkPlugin(t *testing.T, what string, p api.PluginSpec, kinds map[string][]api.Param) {
	t.Helper()
	params, ok := kinds[p.Type]
	if !ok {
		t.Errorf("unknown %s %q", what, p.Type)
		return
	}
	for name := range p.Params {
		if !slices.ContainsFunc(params, func(ps api.Param) bool { return ps.Name == name }) {
			t.Errorf("%s %s has no parameter %q", what, p.Type, name)
		}
	}
}
