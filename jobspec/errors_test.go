package jobspec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// want is one expected problem: its exact field path and a part of its
// message.
type want struct {
	field, msg string
}

// taskDoc is a valid job whose single task has the given extra YAML lines
// (indented by four spaces).
func taskDoc(lines ...string) string {
	return "name: j\ntasks:\n  - name: t\n" + "    " + strings.Join(lines, "\n    ") + "\n"
}

// scriptTask is taskDoc with a script, for the fields besides the program.
func scriptTask(lines ...string) string { return taskDoc(append([]string{"script: run"}, lines...)...) }

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []want
	}{
		// The document as a whole.
		{"malformed yaml", "name: [a\n", []want{{"", "malformed document: did not find expected"}}},
		{"malformed json", `{"name": "x" "tasks": []}`, []want{{"", "malformed document"}}},
		{"empty", "", []want{{"", "empty document"}}},
		{"only a comment", "  \n# nothing\n", []want{{"", "empty document"}}},
		{"null", "~\n", []want{{"", "empty document"}}},
		{"two documents", "name: a\n---\nname: b\n", []want{{"", "more than one document"}}},
		{"a list", "- name: a\n", []want{{"", "must be a mapping, got a list (line 1)"}}},
		{"a string", `"job"`, []want{{"", "must be a mapping, got a string"}}},
		{"alias cycle", "name: &x [*x]\ntasks: []\n", []want{{"", "alias refers to the value that contains it"}}},
		{"billion laughs", laughs(), []want{{"", "document too large"}}},
		{"duplicate key", "name: a\nname: b\ntasks: [{name: t, script: x}]\n",
			[]want{{"name", `duplicate key "name" (first at line 1) (line 2)`}}},
		{"non-string key", "? [a]\n: b\nname: a\ntasks: [{name: t, script: x}]\n",
			[]want{{"", "keys must be strings, got a list (line 1)"}}},
		{"bad merge", "name: a\n<<: 3\ntasks: [{name: t, script: x}]\n", []want{{"", "merge key (<<) needs a mapping"}}},

		// Job fields.
		{"missing name and tasks", "priority: high\n",
			[]want{{"name", "required field is missing (line 1)"}, {"tasks", "required field is missing"}}},
		{"empty name", `{"name": " ", "tasks": [{"name": "t", "script": "x"}]}`, []want{{"name", "must not be empty"}}},
		{"long name", fmt.Sprintf("name: %s\ntasks: [{name: t, script: x}]\n", strings.Repeat("é", 201)),
			[]want{{"name", "too long (201 characters, at most 200)"}}},
		{"name with a tab", "name: \"a\\tb\"\ntasks: [{name: t, script: x}]\n", []want{{"name", "control characters"}}},
		{"numeric name", "name: 1.10\ntasks: [{name: t, script: x}]\n", []want{{"name", "must be a string, got a number (line 1)"}}},
		{"unknown priority", "name: a\npriority: urgent\ntasks: [{name: t, script: x}]\n",
			[]want{{"priority", `unknown priority "urgent"`}}},
		{"variables list", "name: a\nvariables: [A]\ntasks: [{name: t, script: x}]\n",
			[]want{{"variables", "must be a mapping, got a list (line 2)"}}},
		{"variable names and values", "name: a\nvariables: {1X: a, SHRIKE_JOB_ID: b, OK: [c], \"A-B\": d}\ntasks: [{name: t, script: x}]\n",
			[]want{{"variables.1X", "invalid name"}, {"variables.SHRIKE_JOB_ID", "reserved"},
				{"variables.OK", "must be a string, number or boolean, got a list"}, {"variables.A-B", "invalid name"}}},
		{"input space unknown", "name: a\ninput_space: scratch:x\ntasks: [{name: t, script: x}]\n",
			[]want{{"input_space", `space reference "scratch:x": want user:PATH or global:PATH (line 2)`}}},
		{"input space without a space", "name: a\ninput_space: data/in\ntasks: [{name: t, script: x}]\n",
			[]want{{"input_space", "want user:PATH or global:PATH"}}},
		{"output space dot-dot", "name: a\noutput_space: user:../bob\ntasks: [{name: t, script: x}]\n",
			[]want{{"output_space", `path "../bob" not allowed: contains a ".." segment (line 2)`}}},
		{"output space absolute", "name: a\noutput_space: global:/etc\ntasks: [{name: t, script: x}]\n",
			[]want{{"output_space", "absolute"}}},
		{"output space backslash", "name: a\noutput_space: 'user:a\\b'\ntasks: [{name: t, script: x}]\n",
			[]want{{"output_space", "backslash"}}},
		{"output space control", "name: a\noutput_space: \"user:a\\tb\"\ntasks: [{name: t, script: x}]\n",
			[]want{{"output_space", "control character"}}},
		{"output space list", "name: a\noutput_space: [user]\ntasks: [{name: t, script: x}]\n",
			[]want{{"output_space", "must be a string, got a list"}}},
		{"tasks not a list", "name: a\ntasks: {name: t}\n", []want{{"tasks", "must be a list, got a mapping"}}},
		{"no tasks", "name: a\ntasks: []\n", []want{{"tasks", "at least one task"}}},
		{"too many tasks", manyTasks(MaxTasks + 1), []want{{"tasks", "too many tasks (10001, at most 10000)"}}},

		// Task names and programs.
		{"task not a mapping", "name: a\ntasks: [run]\n", []want{{"tasks[0]", "must be a mapping, got a string"}}},
		{"task without name", "name: a\ntasks: [{script: x}]\n", []want{{"tasks[0].name", "required field is missing"}}},
		{"bad task name", "name: a\ntasks: [{name: -x, script: x}]\n", []want{{"tasks[0].name", `invalid task name "-x"`}}},
		{"long task name", fmt.Sprintf("name: a\ntasks: [{name: %s, script: x}]\n", strings.Repeat("x", 129)),
			[]want{{"tasks[0].name", "invalid task name"}}},
		{"duplicate task names", "name: a\ntasks:\n- {name: t, script: x}\n- {name: u, script: x}\n- {name: t, script: x}\n",
			[]want{{"tasks[2].name", `duplicate task name "t" (also tasks[0]) (line 5)`}}},
		{"no program", taskDoc("env: {A: b}"), []want{{"tasks[0]", "needs one of command, script or lua"}}},
		{"two programs", taskDoc("script: a", "lua: b"), []want{{"tasks[0]", "sets script and lua; use exactly one"}}},
		{"command as a string", taskDoc("command: echo hi"), []want{{"tasks[0].command", "use script: for a shell command line"}}},
		{"empty command", taskDoc("command: []"), []want{{"tasks[0].command", "must not be empty"}}},
		{"empty program", taskDoc(`command: ["", x]`), []want{{"tasks[0].command[0]", "must not be empty"}}},
		{"bad arguments", taskDoc("command: [echo, [x], null]"),
			[]want{{"tasks[0].command[1]", "got a list"}, {"tasks[0].command[2]", "got null"}}},
		{"blank script", taskDoc(`script: "  "`), []want{{"tasks[0].script", "must not be empty"}}},
		{"numeric script", taskDoc("script: 5"), []want{{"tasks[0].script", "must be a string, got an integer"}}},
		{"lua mapping", taskDoc("lua: {a: b}"), []want{{"tasks[0].lua", "must be a string, got a mapping"}}},
		{"NUL in script", taskDoc(`script: "a\0b"`), []want{{"tasks[0].script", "NUL"}}},
		{"env names", scriptTask("env: {9: a, B: {c: d}}"),
			[]want{{"tasks[0].env.9", "invalid name"}, {"tasks[0].env.B", "got a mapping"}}},

		// Dependencies.
		{"depends_on a string", scriptTask("depends_on: a"), []want{{"tasks[0].depends_on", "must be a list, got a string"}}},
		{"dependency problems",
			"name: a\ntasks:\n- {name: build, script: x}\n- {name: test, script: x, depends_on: [biuld, test, build, build, 3]}\n",
			[]want{{"tasks[1].depends_on[4]", "must be a string, got an integer"},
				{"tasks[1].depends_on[0]", `unknown task "biuld" (did you mean "build"?) (line 4)`},
				{"tasks[1].depends_on[1]", `task "test" depends on itself`},
				{"tasks[1].depends_on[3]", `duplicate dependency "build" (also depends_on[2])`}}},

		// Resources, attempts, walltime.
		{"resources list", scriptTask("resources: [1]"), []want{{"tasks[0].resources", "must be a mapping"}}},
		{"cpu zero", scriptTask("resources: {cpu: 0}"), []want{{"tasks[0].resources.cpu", "more than 0"}}},
		{"cpu negative", scriptTask("resources: {cpu: -1}"), []want{{"tasks[0].resources.cpu", "more than 0"}}},
		{"cpu too small", scriptTask("resources: {cpu: 0.0004}"), []want{{"tasks[0].resources.cpu", "at least 0.001"}}},
		{"cpu too large", scriptTask("resources: {cpu: 5000}"), []want{{"tasks[0].resources.cpu", "at most 4096"}}},
		{"cpu string", scriptTask(`resources: {cpu: "2"}`), []want{{"tasks[0].resources.cpu", "must be a number, got a string"}}},
		{"cpu nan", scriptTask("resources: {cpu: .nan}"), []want{{"tasks[0].resources.cpu", "finite"}}},
		{"memory unit", scriptTask("resources: {memory: 12XB}"), []want{{"tasks[0].resources.memory", `invalid size "12XB"`}}},
		{"memory negative", scriptTask("resources: {memory: -5}"), []want{{"tasks[0].resources.memory", "must not be negative"}}},
		{"memory fraction", scriptTask("resources: {memory: 1.5}"), []want{{"tasks[0].resources.memory", "whole number of bytes"}}},
		{"memory too large", scriptTask("resources: {memory: 2048TiB}"), []want{{"tasks[0].resources.memory", "too large"}}},
		{"attempts zero", scriptTask("max_attempts: 0"), []want{{"tasks[0].max_attempts", "between 1 and 100, got 0"}}},
		{"attempts too many", scriptTask("max_attempts: 101"), []want{{"tasks[0].max_attempts", "between 1 and 100"}}},
		{"attempts fraction", scriptTask("max_attempts: 2.5"), []want{{"tasks[0].max_attempts", "must be an integer, got a number (2.5)"}}},
		{"attempts string", scriptTask(`max_attempts: "3"`), []want{{"tasks[0].max_attempts", "must be an integer, got a string"}}},
		{"walltime negative", scriptTask("walltime: -5m"), []want{{"tasks[0].walltime", "must not be negative"}}},
		{"walltime garbage", scriptTask("walltime: soon"), []want{{"tasks[0].walltime", `invalid duration "soon"`}}},
		{"walltime zero", scriptTask("walltime: 0s"), []want{{"tasks[0].walltime", "more than 0"}}},
		{"walltime zero seconds", scriptTask("walltime: 0"), []want{{"tasks[0].walltime", "more than 0"}}},
		{"walltime too long", scriptTask("walltime: 400d"), []want{{"tasks[0].walltime", "at most 365d"}}},
		{"walltime list", scriptTask("walltime: [1]"), []want{{"tasks[0].walltime", "got a list"}}},
		{"node token bad", scriptTask("node_token: gpu team"), []want{{"tasks[0].node_token", `invalid node token "gpu team"`}}},
		{"node token list", scriptTask("node_token: [gpu]"), []want{{"tasks[0].node_token", "must be a string"}}},
		{"job node token bad", "name: j\nnode_token: \"-x\"\ntasks: [{name: t, script: x}]\n", []want{{"node_token", `invalid node token "-x"`}}},

		// Unknown fields.
		{"top-level typo", "nmae: a\ntasks: [{name: t, script: x}]\n",
			[]want{{"nmae", `unknown field "nmae" (did you mean "name"?) (line 1)`}, {"name", "required field is missing"}}},
		{"task typos", scriptTask("comand: [x]", "dependson: [a]", "Walltime: 1h"),
			[]want{{"tasks[0].comand", `unknown field "comand" (did you mean "command"?) (line 5)`},
				{"tasks[0].dependson", `(did you mean "depends_on"?)`}, {"tasks[0].Walltime", `(did you mean "walltime"?)`}}},
		{"resources typo", scriptTask("resources: {memroy: 1G}"),
			[]want{{"tasks[0].resources.memroy", `unknown field "memroy" (did you mean "memory"?)`}}},
		{"no close field", scriptTask("image: alpine"),
			[]want{{"tasks[0].image", `unknown field "image" (known fields: name, command, script, lua, env,`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertErrors(t, tt.doc, tt.want)
		})
	}
}

// assertErrors parses doc and checks that it fails with exactly the
// wanted problems, in order.
func assertErrors(t *testing.T, doc string, wants []want) {
	t.Helper()
	spec, errs := Parse([]byte(doc))
	if !reflect.DeepEqual(spec, api.JobSpec{}) {
		t.Errorf("Parse returned a spec along with errors: %#v", spec)
	}
	if len(errs) != len(wants) {
		t.Fatalf("Parse: got %d errors, want %d:\n%s", len(errs), len(wants), listErrors(errs))
	}
	for i, w := range wants {
		if errs[i].Field != w.field || !strings.Contains(errs[i].Message, w.msg) {
			t.Errorf("error %d = %q, want field %q with message containing %q", i, errs[i].String(), w.field, w.msg)
		}
	}
}

func listErrors(errs []api.FieldError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  %q: %q\n", e.Field, e.Message)
	}
	return b.String()
}

// laughs is a "billion laughs" document: ten levels of ten aliases.
func laughs() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
			i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	return b.String()
}

// manyTasks is a valid job with n independent tasks.
func manyTasks(n int) string {
	var b strings.Builder
	b.WriteString("name: many\ntasks:\n")
	for i := range n {
		fmt.Fprintf(&b, "- {name: t%d, script: x}\n", i)
	}
	return b.String()
}

func TestParseReportsEveryProblem(t *testing.T) {
	doc := `
name: ""
priority: soon
variables: {"bad key": 1}
tasks:
  - name: a
    script: x
    depends_on: [c]
  - name: b
    comand: [x]
    resources: {cpu: 0, memory: lots}
  - name: c
    script: y
    depends_on: [a, zz]
    max_attempts: 0
`
	assertErrors(t, doc, []want{
		{"name", "must not be empty (line 2)"},
		{"priority", `unknown priority "soon": want one of idle, lowest, low, normal, high, highest (line 3)`},
		{"variables.bad key", "invalid name: use letters, digits and '_', not starting with a digit (line 4)"},
		{"tasks[1].comand", `unknown field "comand" (did you mean "command"?) (line 10)`},
		{"tasks[1]", "needs one of command, script or lua (line 9)"},
		{"tasks[1].resources.cpu", "more than 0 (at least 0.001) and at most 4096 cores, got 0 (line 11)"},
		{"tasks[1].resources.memory", `invalid size "lots": want a value like 512MiB, 2GiB or 1000000 (line 11)`},
		{"tasks[2].max_attempts", "between 1 and 100, got 0 (line 15)"},
		{"tasks[2].depends_on[1]", `unknown task "zz" (line 14)`},
		{"tasks", "dependency cycle: a → c → a"},
	})
}
