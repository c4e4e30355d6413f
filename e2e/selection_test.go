package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestSelectionThroughTheCLI: selection scripts in a job file decide where
// tasks run; a dry run, the submission warning, job explain (with --node)
// and script test tell the user why, all through the real binary.
func TestSelectionThroughTheCLI(t *testing.T) {
	g := newGrid(t)
	g.startNode("r7", 2, "--fact", "rack=7")
	g.startNode("r9", 2, "--fact", "rack=9")
	g.waitNodes("r7", "r9")
	doc := filepath.Join(g.dir, "job.yaml")
	if err := os.WriteFile(doc, []byte(`name: racks
variables: {RACK: "9"}
tasks:
  - name: on-rack
    command: ["true"]
    selection:
      - lua: 'return node.facts.rack == vars.RACK'
  - name: linux
    command: ["true"]
    selection: [linux.lua]
`), 0o600); err != nil {
		t.Fatal(err)
	}

	out, code := g.cli("job", "submit", "--dry-run", "--json", doc)
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, out)
	}
	var dry api.JobExplain
	if err := json.Unmarshal([]byte(out), &dry); err != nil {
		t.Fatalf("dry run --json: %v: %s", err, out)
	}
	if len(dry.Tasks) != 2 || dry.Tasks[0].Eligible != 1 || dry.Tasks[0].Nodes[0] != "r9" || dry.Tasks[1].Eligible != 2 {
		t.Fatalf("dry run: %+v", dry)
	}
	if jobs, _ := g.client.ListJobs(t.Context(), api.ListJobsOptions{}); jobs.Total != 0 {
		t.Fatalf("the dry run stored a job: %+v", jobs)
	}

	out, code = g.cli("job", "submit", "--wait", "--json", doc)
	if code != 0 {
		t.Fatalf("submit --wait: exit %d: %s", code, out)
	}
	var job api.Job
	if err := json.Unmarshal([]byte(out), &job); err != nil {
		t.Fatal(err)
	}
	if tk := taskByName(t, job, "on-rack"); tk.Node != "r9" || tk.State != api.TaskFinished {
		t.Errorf("on-rack: %+v, want FINISHED on r9", tk)
	}

	gpu := filepath.Join(g.dir, "gpu.yaml")
	if err := os.WriteFile(gpu, []byte("name: gpu\ntasks:\n  - {name: train, command: [\"true\"], selection: [{file: gpu.lua}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code = g.cli("job", "submit", "--json", gpu)
	if code != 0 {
		t.Fatalf("submit: exit %d: %s", code, out)
	}
	var resp api.SubmitResponse
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "gpu.lua returned false") {
		t.Fatalf("submission warnings %q", resp.Warnings)
	}
	waitFor(t, 20*time.Second, "job explain naming gpu.lua", func() bool {
		out, code = g.cli("job", "explain", jobID(resp.ID))
		return code == 0 && strings.Contains(out, "2 nodes: gpu.lua returned false")
	})
	out, code = g.cli("job", "explain", jobID(resp.ID), "--node", "r7", "--json")
	var ex api.JobExplain
	if code != 0 || json.Unmarshal([]byte(out), &ex) != nil || len(ex.Tasks) != 1 || ex.Tasks[0].Node == nil ||
		ex.Tasks[0].Node.Fits || len(ex.Tasks[0].Node.Scripts) != 1 || ex.Tasks[0].Node.Scripts[0].Script != "gpu.lua" {
		t.Fatalf("explain --node r7: exit %d: %s", code, out)
	}

	script := filepath.Join(g.dir, "rack.lua")
	if err := os.WriteFile(script, []byte("return node.facts.rack == args[1]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code = g.cli("script", "test", script, "--node", "r7", "--arg", "7", "--json")
	var res api.ScriptTestResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || !res.Verdict.Selected || res.Facts["name"] != "r7" {
		t.Fatalf("script test: exit %d: %s", code, out)
	}
	if _, code := g.cli("job", "kill", jobID(resp.ID)); code != 0 {
		t.Errorf("kill: exit %d", code)
	}
}

func jobID(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}
