package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchSim runs a scenario of the simulator's testdata through the
// command: its events are the golden file's, followed by the summary.
func TestBenchSim(t *testing.T) {
	dir := filepath.Join("..", "..", "scheduler", "sim", "testdata", "priority")
	var out bytes.Buffer
	if err := runBenchSim([]string{"--cluster", filepath.Join(dir, "cluster.yaml"), "--workload", filepath.Join(dir, "workload.yaml")}, &out); err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join(dir, "events.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out.Bytes(), golden) {
		t.Errorf("events differ from %s:\n%s", dir, out.String())
	}
	summary := out.String()[len(golden):]
	for _, want := range []string{"shrike bench sim: 1 node, 4 jobs, 7 tasks; virtual time 25s", "cycles: ", "placements 7, preemptions 0, refused 0; tasks finished 7, failed 0, skipped 0"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}

	out.Reset()
	if err := runBenchSim([]string{"--cycles-only", "--cluster", filepath.Join(dir, "cluster.yaml"), "--workload", filepath.Join(dir, "workload.yaml")}, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "started on") || !strings.HasPrefix(out.String(), "shrike bench sim:") {
		t.Errorf("--cycles-only printed:\n%s", out.String())
	}

	out.Reset()
	if err := runBenchSim([]string{"--json", "--cluster", filepath.Join(dir, "cluster.yaml"), "--workload", filepath.Join(dir, "workload.yaml")}, &out); err != nil {
		t.Fatal(err)
	}
	var sum simSummaryJSON
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("--json printed %q: %v", out.String(), err)
	}
	if sum.Nodes != 1 || sum.Tasks != 7 || sum.Finished != 7 || sum.VirtualSeconds != 25 || sum.Cycles == 0 {
		t.Errorf("--json summary %+v", sum)
	}
}

// TestBenchSimErrors: bad files and missing flags are usage errors that
// name the problem.
func TestBenchSimErrors(t *testing.T) {
	dir := t.TempDir()
	cluster := filepath.Join(dir, "cluster.yaml")
	workload := filepath.Join(dir, "workload.yaml")
	if err := os.WriteFile(cluster, []byte("nodes: [{name: a, cpus: 1, gpus: 1}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(workload, []byte("jobs: [{tasks: [{name: a}]}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--cluster", cluster}, "--cluster and --workload are required"},
		{[]string{"--cluster", cluster, "--workload", workload}, `cluster.yaml: line 1: unknown field "gpus"`},
	} {
		err := runBenchSim(tc.args, &bytes.Buffer{})
		var ce *codedError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ce) || ce.code != exitUsage {
			t.Errorf("%v: error %v, want a usage error with %q", tc.args, err, tc.want)
		}
	}
}
