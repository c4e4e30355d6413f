package jobspec

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

func TestParseValid(t *testing.T) {
	full := task("b", command("sleep", "5", "true"), env("MODE", "fast", "N", "3"), deps("a"),
		cpu(2.5), mem(512<<20), attempts(3), walltime(90*time.Minute))
	vars := map[string]string{"INPUT": "/data/in", "COUNT": "10", "DEBUG": "false", "EMPTY": ""}
	everything := job("every field", task("a", lua(`print("a")`)), full)
	everything.Priority, everything.Variables = api.PriorityHigh, vars
	tests := []struct {
		name string
		doc  string
		want api.JobSpec
	}{{
		name: "minimal yaml gets defaults",
		doc:  "name: hello\ntasks:\n  - name: a\n    script: echo hi\n",
		want: job("hello", task("a", script("echo hi"))),
	}, {
		name: "minimal json",
		doc:  `{"name": "hello", "tasks": [{"name": "a", "command": ["echo", "hi"]}]}`,
		want: job("hello", task("a", command("echo", "hi"))),
	}, {
		name: "every field in yaml",
		doc: `
name: every field
priority: HIGH
variables: {INPUT: /data/in, COUNT: 10, DEBUG: false, EMPTY: ~}
tasks:
  - name: a
    lua: print("a")
  - name: b
    command: [sleep, 5, true]
    env: {MODE: fast, N: 3}
    depends_on: [a]
    resources: {cpu: 2.5, memory: 512MiB}
    max_attempts: 3
    walltime: 1h30m
`,
		want: everything,
	}, {
		name: "every field in tab-indented json",
		doc: "{\n\t\"name\": \"every field\",\n\t\"priority\": \"high\",\n" +
			"\t\"variables\": {\"INPUT\": \"/data/in\", \"COUNT\": 10, \"DEBUG\": false, \"EMPTY\": null},\n" +
			"\t\"tasks\": [\n\t\t{\"name\": \"a\", \"lua\": \"print(\\\"a\\\")\"},\n" +
			"\t\t{\"name\": \"b\", \"command\": [\"sleep\", \"5\", \"true\"], \"env\": {\"MODE\": \"fast\", \"N\": 3},\n" +
			"\t\t \"depends_on\": [\"a\"], \"resources\": {\"cpu\": 2.5, \"memory\": 536870912},\n" +
			"\t\t \"max_attempts\": 3, \"walltime\": 5400}\n\t]\n}\n",
		want: everything,
	}, {
		name: "json escapes yaml lacks",
		doc:  `{"name": "a\/b \ud83d\ude00 \u00e9", "tasks": [{"name": "a", "script": "echo \"\/\""}]}`,
		want: job("a/b 😀 é", task("a", script(`echo "/"`))),
	}, {
		name: "anchors, aliases and merge keys",
		doc: `
name: shared
tasks:
  - &base
    name: a
    script: run
    resources: {cpu: 2}
  - <<: *base
    name: b
    depends_on: [a]
`,
		want: job("shared", task("a", script("run"), cpu(2)), task("b", script("run"), cpu(2), deps("a"))),
	}, {
		name: "nulls and empty collections read as absent",
		doc:  "name: n\nvariables:\ntasks:\n  - name: a\n    script: x\n    env: {}\n    depends_on: []\n    walltime: null\n",
		want: job("n", task("a", script("x"))),
	}, {
		name: "diamond, sizes and durations in other spellings",
		doc: `
name: diamond
tasks:
  - {name: A, script: a, resources: {memory: 1Gi}, walltime: 1d}
  - {name: B, script: b, depends_on: [A], resources: {memory: 1000}}
  - {name: C, script: c, depends_on: [A], walltime: 30}
  - {name: D, script: d, depends_on: [B, C]}
`,
		want: job("diamond",
			task("A", script("a"), mem(1<<30), walltime(24*time.Hour)),
			task("B", script("b"), deps("A"), mem(1000)),
			task("C", script("c"), deps("A"), walltime(30*time.Second)),
			task("D", script("d"), deps("B", "C"))),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := Parse([]byte(tt.doc))
			if len(errs) > 0 {
				t.Fatalf("Parse: unexpected errors %v", errs)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse:\n got %#v\nwant %#v", got, tt.want)
			}
			assertRoundTrip(t, got)
		})
	}
}

// assertRoundTrip checks that the canonical JSON form of spec parses back
// into the same spec.
func assertRoundTrip(t *testing.T, spec api.JobSpec) {
	t.Helper()
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	again, errs := Parse(data)
	if len(errs) > 0 {
		t.Fatalf("Parse(json.Marshal(spec)) = errors %v\njson: %s", errs, data)
	}
	if !reflect.DeepEqual(again, spec) {
		t.Fatalf("round trip changed the spec:\n got %#v\nwant %#v\njson: %s", again, spec, data)
	}
}

func TestWalltimeDefaultsFromTheJob(t *testing.T) {
	spec, errs := Parse([]byte("name: j\nwalltime: 2h\ntasks:\n- {name: a, script: x}\n- {name: b, script: x, walltime: 90s}\n"))
	if errs != nil {
		t.Fatal(errs)
	}
	if spec.Tasks[0].Walltime != api.Duration(2*time.Hour) || spec.Tasks[1].Walltime != api.Duration(90*time.Second) {
		t.Fatalf("walltimes: %v %v, want 2h (the job's) and 90s (the task's own)", spec.Tasks[0].Walltime, spec.Tasks[1].Walltime)
	}
	spec, errs = Parse([]byte("name: j\ntasks:\n- {name: a, script: x}\n"))
	if errs != nil {
		t.Fatal(errs)
	}
	if spec.Tasks[0].Walltime != 0 {
		t.Fatalf("walltime without a default: %v, want 0 (no limit)", spec.Tasks[0].Walltime)
	}
}

func TestJobWalltimeIsValidated(t *testing.T) {
	_, errs := Parse([]byte("name: j\nwalltime: 0s\ntasks:\n- {name: a, script: x}\n"))
	if len(errs) != 1 || errs[0].Field != "walltime" {
		t.Fatalf("errors: %v, want one on walltime", errs)
	}
}

func TestNodeTokenDefaultsFromTheJob(t *testing.T) {
	spec, errs := Parse([]byte("name: j\nnode_token: lab\ntasks:\n- {name: a, script: x}\n- {name: b, script: x, node_token: gpu}\n"))
	if errs != nil {
		t.Fatal(errs)
	}
	if spec.Tasks[0].NodeToken != "lab" || spec.Tasks[1].NodeToken != "gpu" {
		t.Fatalf("node tokens: %q %q, want lab (the job's) and gpu (the task's own)", spec.Tasks[0].NodeToken, spec.Tasks[1].NodeToken)
	}
}
