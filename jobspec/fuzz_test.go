package jobspec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// FuzzParse checks that Parse never panics, that it returns either a spec
// or errors, and that a spec it accepts survives a round trip through its
// canonical JSON form unchanged.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"name: a\ntasks: [{name: t, script: x}]\n",
		`{"name": "a", "tasks": [{"name": "t", "command": ["x", 1]}]}`,
		"name: a\nvariables: {A: 1}\ntasks:\n- &t {name: a, lua: x, resources: {cpu: 0.5, memory: 1.5GiB}}\n- {<<: *t, name: b, depends_on: [a], walltime: 1d}\n",
		"name: \"\\x85\\u2028\"\ntasks: [{name: t, script: \"\\0\"}]\n",
		"name: a\nselection: [linux, {file: gpu, args: [A100, 2]}]\ntasks:\n- {name: a, script: x}\n- {name: b, script: x, selection: []}\n" +
			"- {name: c, script: x, selection: [{lua: \"return node.cpus > 2\", type: dynamic}]}\n",
		`{"name": "a", "tasks": [{"name": "t", "script": "x", "selection": ["os", {"lua": "return (", "args": [1, true]}]}]}`,
		laughs(),
	} {
		f.Add([]byte(s))
	}
	if files, _ := filepath.Glob(filepath.Join("..", "examples", "*")); len(files) > 0 {
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, errs := Parse(data)
		if len(errs) > 0 {
			if !reflect.DeepEqual(spec, api.JobSpec{}) {
				t.Fatalf("Parse returned a spec along with errors")
			}
			return
		}
		canonical, err := json.Marshal(spec)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		again, errs := Parse(canonical)
		if len(errs) > 0 {
			t.Fatalf("the canonical form does not parse: %v\n%s", errs, canonical)
		}
		if !reflect.DeepEqual(again, spec) {
			t.Fatalf("round trip changed the spec:\n got %#v\nwant %#v", again, spec)
		}
	})
}
