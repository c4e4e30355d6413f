package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// gpuNodes gives the backend gpu1 (FREE, an A100), cpu1 and cpu2 (FREE,
// no GPU) and gpu2 (DOWN, an A100).
func gpuNodes(c *cli) {
	node := func(name string, st api.NodeState) api.Node {
		return api.Node{Name: name, State: st, OS: "linux", Arch: "amd64", CPUs: 8, Slots: 8, Memory: 16 << 30}
	}
	c.fake.SetNodes(node("cpu1", api.NodeFree), node("cpu2", api.NodeFree),
		node("gpu1", api.NodeFree), node("gpu2", api.NodeDown))
	a100 := api.NodeFacts{GPUs: []api.GPU{{Model: "NVIDIA A100-SXM4-80GB"}}}
	c.fake.SetNodeFacts("gpu1", a100)
	c.fake.SetNodeFacts("gpu2", a100)
}

// submitGPUJob stores, as alice, a job whose task train needs an A100
// and whose task prep runs anywhere.
func (c *cli) submitGPUJob() int64 {
	c.t.Helper()
	spec := api.JobSpec{Name: "train", Tasks: []api.TaskSpec{
		{Name: "prep", Command: []string{"true"}},
		{Name: "train", Command: []string{"true"}, Resources: api.Resources{CPU: 1},
			Selection: []api.SelectionScript{{File: "gpu.lua", Args: []string{"A100"}}}},
	}}
	resp, err := c.fake.SubmitJob(context.Background(), rest.Principal{Name: "alice", Role: api.RoleUser}, spec)
	if err != nil {
		c.t.Fatalf("submit: %v", err)
	}
	return resp.ID
}

func TestJobExplain(t *testing.T) {
	c := newCLI(t)
	gpuNodes(c)
	id := c.submitGPUJob()
	out := c.mustRun("job", "explain", fmt.Sprint(id))
	want := `TASK   CAN RUN ON                 WHY NOT ON THE OTHERS
prep   3 nodes: cpu1, cpu2, gpu1  1 node: down
train  1 node: gpu1               2 nodes: gpu.lua returned false
                                  1 node: down
`
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
}

func TestJobExplainNode(t *testing.T) {
	c := newCLI(t)
	gpuNodes(c)
	id := c.submitGPUJob()
	c.mustRun("job", "explain", fmt.Sprint(id)) // the static verdicts are cached from now on
	out := c.mustRun("job", "explain", fmt.Sprint(id), "--node", "cpu1")
	for _, want := range []string{
		"Task prep on node cpu1: fits.\n",
		"Task train on node cpu1: does not fit.\n  - gpu.lua returned false\n",
		"SCRIPT   TYPE    VERDICT  REASON          STATUS",
		"gpu.lua  static  false    returned false  cached",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	out = c.mustRun("job", "explain", fmt.Sprint(id), "--node", "gpu2", "--json")
	var ex api.JobExplain
	if err := json.Unmarshal([]byte(out), &ex); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(ex.Tasks) != 2 || ex.Tasks[1].Node == nil || ex.Tasks[1].Node.Fits || ex.Tasks[1].Node.Reasons[0] != "down" {
		t.Errorf("--json = %+v, want gpu2's verdict: down", ex)
	}
}

func TestJobExplainErrors(t *testing.T) {
	c := newCLI(t)
	gpuNodes(c)
	id := c.submitGPUJob()
	if code, _, errOut := c.run("job", "explain", "99"); code != exitErr || !strings.Contains(errOut, "job 99 not found") {
		t.Errorf("unknown job: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := c.run("job", "explain", fmt.Sprint(id), "--node", "nope"); code != exitErr ||
		!strings.Contains(errOut, "node nope not found") {
		t.Errorf("unknown node: exit %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{{"job", "explain"}, {"job", "explain", "x"}, {"job", "explain", "1", "--node", "a b"}} {
		if code, _, _ := c.run(args...); code != exitUsage {
			t.Errorf("shrike %v: exit %d, want %d", args, code, exitUsage)
		}
	}
	c.fake.ScriptStates(id, api.JobFinished)
	c.mustRun("job", "show", fmt.Sprint(id))
	if out := c.mustRun("job", "explain", fmt.Sprint(id)); out != fmt.Sprintf("Job %d has no pending task.\n", id) {
		t.Errorf("finished job: stdout %q", out)
	}
}

func TestPrintNodeVerdict(t *testing.T) {
	until := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	v := api.NodeVerdict{Node: "w1", Reasons: []string{"probe.lua: pending"}, Scripts: []api.ScriptVerdict{
		{Script: "gpu.lua", Type: "static", Selected: true},
		{Script: "probe.lua", Type: "dynamic", Pending: true},
		{Script: "selection[2]", Type: "dynamic", Reason: "time budget exceeded", BackOff: &until},
	}}
	var b strings.Builder
	printNodeVerdict(&b, "train", v)
	for _, want := range []string{
		"Task train on node w1: does not fit.\n  - probe.lua: pending\n",
		"gpu.lua       static   selected  -                     evaluated\n",
		"probe.lua     dynamic  pending   -                     pending: not evaluated on the node yet\n",
		"selection[2]  dynamic  false     time budget exceeded  back-off until " + fmtTime(&until) + "\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

func TestFmtCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 9870: "9,870",
		1234567: "1,234,567", -1234: "-1,234"} {
		if got := fmtCount(n); got != want {
			t.Errorf("fmtCount(%d) = %q, want %q", n, got, want)
		}
	}
	tx := api.TaskExplain{Eligible: 9870, Nodes: []string{"a", "b", "c", "d", "e", "f"}}
	if got := eligibleNodes(tx); got != "9,870 nodes: a, b, c, d, e (+9,865 more)" {
		t.Errorf("eligibleNodes = %q", got)
	}
	if got := countedReason(api.Reason{Count: 9870, Message: "gpu.lua returned false"}); got != "9,870 nodes: gpu.lua returned false" {
		t.Errorf("countedReason = %q", got)
	}
}

const dryRunDoc = `name: dry
tasks:
  - name: train
    command: ["true"]
    selection:
      - lua: return sel.has_gpu(vars.model)
  - name: huge
    command: ["true"]
    resources: {memory: 1TiB}
variables:
  model: A100
`

func TestJobSubmitDryRun(t *testing.T) {
	c := newCLI(t)
	gpuNodes(c)
	code, out, errOut := c.run("job", "submit", "--dry-run", writeFile(t, "dry.yaml", dryRunDoc))
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := `Dry run: nothing was submitted.

TASK   CAN RUN ON    WHY NOT ON THE OTHERS
train  1 node: gpu1  2 nodes: selection[0] returned false
                     1 node: down
huge   no node       3 nodes: not enough memory (needs 1TiB, free 16GiB)
                     1 node: down
`
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, "warning: task huge: no current node can run it: 3 nodes: not enough memory") {
		t.Errorf("stderr %q lacks the warning", errOut)
	}
	if n := len(c.fake.Submitted()); n != 0 {
		t.Errorf("a dry run stored %d jobs", n)
	}
}

func TestJobSubmitDryRunVariablesAndJSON(t *testing.T) {
	c := newCLI(t)
	gpuNodes(c)
	out := c.mustRun("job", "submit", "--dry-run", "--json", "--var", "model=H100", writeFile(t, "dry.yaml", dryRunDoc))
	var ex api.JobExplain
	if err := json.Unmarshal([]byte(out), &ex); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(ex.Tasks) != 2 || ex.Tasks[0].Eligible != 0 || len(ex.Warnings) != 2 {
		t.Errorf("dry run with model=H100 = %+v, want no node for either task", ex)
	}
}

func TestJobSubmitDryRunInvalid(t *testing.T) {
	c := newCLI(t)
	doc := "name: bad\ntasks:\n  - name: a\n    command: [\"true\"]\n    selection: [{file: nope.lua}]\n"
	code, out, errOut := c.run("job", "submit", "--dry-run", writeFile(t, "bad.yaml", doc))
	if code != exitErr || out != "" || !strings.Contains(errOut, "tasks[0].selection[0].file") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and the field", code, out, errOut)
	}
	if code, _, _ := c.run("job", "submit", "--dry-run", "--wait", "x.yaml"); code != exitUsage {
		t.Errorf("--dry-run --wait: exit %d, want %d", code, exitUsage)
	}
}

func TestJobSubmitPrintsWarnings(t *testing.T) {
	c := newCLI(t)
	c.fake.SetWarnings("task gpu: no current node can run it: 12 nodes: gpu.lua returned false")
	code, out, errOut := c.run("job", "submit", writeFile(t, "j.yaml", yamlJob))
	if code != exitOK || out != "Submitted job 1.\n" ||
		errOut != "warning: task gpu: no current node can run it: 12 nodes: gpu.lua returned false\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
