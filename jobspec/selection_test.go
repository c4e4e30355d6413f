package jobspec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scripts"
)

func TestSelectionErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []want
	}{
		{"not a list", scriptTask("selection: linux.lua"), []want{{"tasks[0].selection", "must be a list, got a string (line 5)"}}},
		{"mapping instead of a list", scriptTask("selection: {file: gpu}"), []want{{"tasks[0].selection", "must be a list, got a mapping"}}},
		{"entry a number", scriptTask("selection: [5]"),
			[]want{{"tasks[0].selection[0]", "must be a mapping (lua: or file:) or the name of a shipped script, got an integer (line 5)"}}},
		{"entry a list", scriptTask("selection: [[gpu]]"), []want{{"tasks[0].selection[0]", "got a list"}}},
		{"neither lua nor file", scriptTask("selection: [{type: static}]"),
			[]want{{"tasks[0].selection[0]", "needs one of lua (the script) or file (a shipped script) (line 5)"}}},
		{"both lua and file", scriptTask("selection: [{lua: return true, file: gpu}]"),
			[]want{{"tasks[0].selection[0]", "sets lua and file; use exactly one"}}},
		{"unknown field", scriptTask("selection: [{file: gpu, arsg: [A100]}]"),
			[]want{{"tasks[0].selection[0].arsg", `unknown field "arsg" (did you mean "args"?) (line 5)`}}},
		{"unknown field far off", scriptTask("selection: [{file: gpu, image: x}]"),
			[]want{{"tasks[0].selection[0].image", "unknown field \"image\" (known fields: lua, file, type, args)"}}},
		{"bad type", scriptTask("selection: [{file: gpu, type: fast}]"),
			[]want{{"tasks[0].selection[0].type", `must be static or dynamic, got "fast" (line 5)`}}},
		{"numeric type", scriptTask("selection: [{file: gpu, type: 1}]"),
			[]want{{"tasks[0].selection[0].type", "must be a string, got an integer"}}},
		{"args not a list", scriptTask("selection: [{file: gpu, args: A100}]"),
			[]want{{"tasks[0].selection[0].args", "must be a list, got a string"}}},
		{"bad args", scriptTask("selection: [{file: gpu, args: [A100, [2], {a: b}, ~]}]"),
			[]want{{"tasks[0].selection[0].args[1]", "must be a string, number or boolean, got a list"},
				{"tasks[0].selection[0].args[2]", "got a mapping"}, {"tasks[0].selection[0].args[3]", "got null"}}},
		{"NUL in an argument", scriptTask(`selection: [{file: gpu, args: ["a\0b"]}]`),
			[]want{{"tasks[0].selection[0].args[0]", "NUL"}}},
		{"unknown file", scriptTask("selection: [{file: gpus.lua}]"),
			[]want{{"tasks[0].selection[0].file", `unknown shipped script "gpus.lua" (did you mean "gpu.lua"?) (line 5)`}}},
		{"unknown shorthand", scriptTask("selection: [linx]"),
			[]want{{"tasks[0].selection[0]", `unknown shipped script "linx.lua" (did you mean "linux.lua"?)`}}},
		{"file of one's own", scriptTask("selection: [{file: ./mine.lua}]"),
			[]want{{"tasks[0].selection[0].file", `unknown shipped script "./mine.lua" (shipped: arch.lua,`}}},
		{"file with a path", scriptTask("selection: [library/gpu.lua]"),
			[]want{{"tasks[0].selection[0]", "put a script of your own in lua:"}}},
		{"empty file", scriptTask(`selection: [{file: ""}]`), []want{{"tasks[0].selection[0].file", "must not be empty"}}},
		{"empty shorthand", scriptTask(`selection: [""]`), []want{{"tasks[0].selection[0]", "must not be empty"}}},
		{"numeric file", scriptTask("selection: [{file: 3}]"), []want{{"tasks[0].selection[0].file", "must be a string, got an integer"}}},
		{"blank lua", scriptTask(`selection: [{lua: "  "}]`), []want{{"tasks[0].selection[0].lua", "must not be empty"}}},
		{"lua mapping", scriptTask("selection: [{lua: {a: b}}]"), []want{{"tasks[0].selection[0].lua", "must be a string, got a mapping"}}},
		{"lua does not compile", scriptTask("selection: [linux, {lua: 'return ('}]"),
			[]want{{"tasks[0].selection[1].lua", "does not compile: tasks[0].selection[1]:1: syntax error near '(' (line 5)"}}},
		{"lua block does not compile",
			"name: j\ntasks:\n  - name: t\n    script: x\n    selection:\n      - lua: |\n          local n = node.cpus\n          return n > > 1\n          -- end\n",
			[]want{{"tasks[0].selection[0].lua", "does not compile: tasks[0].selection[0]:2: syntax error near '>' (line 8)"}}},
		{"lua block ends early", "name: j\ntasks:\n  - name: t\n    script: x\n    selection:\n      - lua: |\n          return (\n\n",
			[]want{{"tasks[0].selection[0].lua", "does not compile: tasks[0].selection[0]:2: syntax error near '(' (line 7)"}}},
		{"lua too long", scriptTask(fmt.Sprintf("selection: [{lua: '%s'}]", strings.Repeat("-", scripts.MaxSourceBytes+1))),
			[]want{{"tasks[0].selection[0].lua", fmt.Sprintf("is too long (%d bytes, at most %d)", scripts.MaxSourceBytes+1, scripts.MaxSourceBytes)}}},
		{"too many scripts", scriptTask("selection: [" + strings.Repeat("linux, ", MaxSelectionScripts) + "linux]"),
			[]want{{"tasks[0].selection", "too many selection scripts (17, at most 16) (line 5)"}}},
		{"job selection", "name: j\nselection: [{file: gpu, type: later}, 7]\ntasks: [{name: t, script: x}]\n",
			[]want{{"selection[0].type", `must be static or dynamic, got "later" (line 2)`},
				{"selection[1]", "must be a mapping (lua: or file:)"}}},
		{"job selection does not compile", "name: j\nselection: [{lua: 'if'}]\ntasks: [{name: t, script: x}]\n",
			[]want{{"selection[0].lua", "does not compile: selection[0]:1:"}}},
		{"json", `{"name": "j", "tasks": [{"name": "t", "script": "x",` + "\n" + `"selection": [{"lua": "return\nreturn"}, {"file": "gpu", "type": "Later"}]}]}`,
			[]want{{"tasks[0].selection[0].lua", "does not compile: tasks[0].selection[0]:2: syntax error near 'return' (line 2)"},
				{"tasks[0].selection[1].type", `must be static or dynamic, got "Later" (line 2)`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertErrors(t, tt.doc, tt.want)
		})
	}
}

// A job's distinct inline scripts are bounded; one shared by every task
// counts once.
func TestSelectionSourcesPerJob(t *testing.T) {
	var shared, distinct strings.Builder
	shared.WriteString("name: j\nselection: [{lua: return true}]\ntasks:\n")
	distinct.WriteString("name: j\ntasks:\n")
	for i := range MaxJobSelectionSources + 1 {
		fmt.Fprintf(&shared, "- {name: t%d, script: x, selection: [{lua: return node.cpus > 0}]}\n", i)
		fmt.Fprintf(&distinct, "- {name: t%d, script: x, selection: [{lua: return node.cpus > %d}]}\n", i, i)
	}
	if _, errs := Parse([]byte(shared.String())); errs != nil {
		t.Fatalf("one script shared by %d tasks: %v", MaxJobSelectionSources+1, errs)
	}
	assertErrors(t, distinct.String(), []want{{fmt.Sprintf("tasks[%d].selection[0].lua", MaxJobSelectionSources),
		fmt.Sprintf("too many different selection scripts in one job (at most %d, %d bytes in all)", MaxJobSelectionSources, MaxJobSelectionBytes)}})

	var big strings.Builder
	big.WriteString("name: j\ntasks:\n")
	body := strings.Repeat("-", scripts.MaxSourceBytes-10)
	n := MaxJobSelectionBytes/len(body) + 1
	for i := range n {
		fmt.Fprintf(&big, "- {name: t%d, script: x, selection: [{lua: '%s\n%d'}]}\n", i, body, i)
	}
	assertErrors(t, big.String(), []want{{fmt.Sprintf("tasks[%d].selection[0].lua", n-1), "too many different selection scripts"}})
}

func TestSelectionValid(t *testing.T) {
	linux := api.SelectionScript{File: "linux.lua", Type: api.SelectionStatic}
	mem8 := api.SelectionScript{File: "min-memory.lua", Type: api.SelectionStatic, Args: []string{"8GiB"}}
	gpu := api.SelectionScript{File: "gpu.lua", Type: api.SelectionDynamic, Args: []string{"A100", "2", "true", "1.50"}}
	inline := api.SelectionScript{Lua: "return sel.has_tag(args[1])\n", Type: api.SelectionStatic, Args: []string{"ssd"}}
	want := job("sel",
		task("default", script("x"), selection(linux, mem8)),
		task("own", script("x"), selection(gpu, inline)),
		task("none", script("x")),
		task("null", script("x"), selection(linux, mem8)))
	tests := []struct {
		name, doc string
	}{{
		name: "yaml",
		doc: `
name: sel
selection: [linux.lua, {file: min-memory.lua, args: [8GiB]}]
tasks:
  - name: default
    script: x
  - name: own
    script: x
    selection:
      - {file: gpu, type: Dynamic, args: [A100, 2, true, 1.50]}
      - lua: |
          return sel.has_tag(args[1])
        type: static
        args: [ssd]
  - name: none
    script: x
    selection: []
  - name: "null"
    script: x
    selection: ~
`,
	}, {
		name: "json",
		doc: `{"name": "sel", "selection": ["linux", {"file": "min-memory", "args": ["8GiB"]}], "tasks": [
  {"name": "default", "script": "x"},
  {"name": "own", "script": "x", "selection": [{"file": "gpu.lua", "type": "dynamic", "args": ["A100", 2, true, "1.50"]},
    {"lua": "return sel.has_tag(args[1])\n", "args": ["ssd"]}]},
  {"name": "none", "script": "x", "selection": []},
  {"name": "null", "script": "x", "selection": null}]}`,
	}, {
		name: "anchors",
		doc: `
name: sel
selection: &base [linux, {file: min-memory, args: [8GiB]}]
tasks:
  - {name: default, script: x}
  - name: own
    script: x
    selection: [{file: gpu, type: dynamic, args: [A100, 2, true, 1.50]}, {lua: "return sel.has_tag(args[1])\n", args: [ssd]}]
  - {name: none, script: x, selection: []}
  - {name: "null", script: x, selection: *base}
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := Parse([]byte(tt.doc))
			if errs != nil {
				t.Fatalf("Parse: %s", listErrors(errs))
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Parse:\n got %#v\nwant %#v", got, want)
			}
			assertRoundTrip(t, got)
		})
	}
}

// Tasks that take the job's default do not share its slices.
func TestSelectionDefaultIsCopied(t *testing.T) {
	spec, errs := Parse([]byte("name: j\nselection: [{file: gpu, args: [A100]}]\ntasks: [{name: a, script: x}, {name: b, script: x}]\n"))
	if errs != nil {
		t.Fatal(errs)
	}
	spec.Tasks[0].Selection[0].Args[0] = "H100"
	spec.Tasks[0].Selection[0].Type = api.SelectionDynamic
	if got := spec.Tasks[1].Selection[0]; got.Args[0] != "A100" || got.Type != api.SelectionStatic {
		t.Fatalf("changing task a's selection changed task b's: %+v", got)
	}
}
