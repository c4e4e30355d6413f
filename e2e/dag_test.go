package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestDiamondDAG runs A → B, C → D on two nodes. Each task appends to a
// shared journal (all processes run on this machine) and writes its own
// output file, so the test can check order, outputs, logs and exit codes.
func TestDiamondDAG(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 2)
	g.startNode("n2", 2)
	g.waitNodes("n1", "n2")

	out := t.TempDir()
	doc := fmt.Sprintf(`
name: diamond
variables:
  OUT: %s
tasks:
  - name: A
    script: |
      echo "start A" >> "$OUT/journal"; sleep 0.3
      echo 21 > "$OUT/a.txt"; echo "end A" >> "$OUT/journal"
      echo "A says hello on $SHRIKE_NODE"
  - name: B
    depends_on: [A]
    script: |
      echo "start B" >> "$OUT/journal"; sleep 0.3
      echo $(( $(cat "$OUT/a.txt") * 2 )) > "$OUT/b.txt"; echo "end B" >> "$OUT/journal"
  - name: C
    depends_on: [A]
    command: ["sh", "-c", "echo start C >> \"$OUT/journal\"; sleep 0.3; echo C-$SHRIKE_JOB_ID-$SHRIKE_TASK-$SHRIKE_ATTEMPT > \"$OUT/c.txt\"; echo end C >> \"$OUT/journal\"; echo to-stderr >&2"]
  - name: D
    depends_on: [B, C]
    lua: |
      local f = assert(io.open(os.getenv("OUT") .. "/journal", "a"))
      f:write("start D\n"); f:close()
      print("D read b=" .. io.open(os.getenv("OUT") .. "/b.txt"):read("*l"))
`, out)
	id := g.submit(doc)
	job := g.wait(id, 30*time.Second)
	if job.State != api.JobFinished {
		t.Fatalf("job state = %s, want FINISHED: %+v", job.State, job.Tasks)
	}
	for _, tk := range job.Tasks {
		if tk.State != api.TaskFinished || tk.ExitCode == nil || *tk.ExitCode != 0 || tk.Attempt != 1 || tk.Node == "" {
			t.Errorf("task %s = %+v, want FINISHED, exit 0, attempt 1, on a node", tk.Name, tk)
		}
		if tk.StartedAt == nil || tk.FinishedAt == nil {
			t.Errorf("task %s has no start or finish time", tk.Name)
		}
	}
	journal := readLines(t, filepath.Join(out, "journal"))
	pos := map[string]int{}
	for i, l := range journal {
		pos[l] = i
	}
	for _, before := range [][2]string{{"end A", "start B"}, {"end A", "start C"}, {"end B", "start D"}, {"end C", "start D"}} {
		a, okA := pos[before[0]]
		b, okB := pos[before[1]]
		if !okA || !okB || a > b {
			t.Errorf("journal order: want %q before %q, got %q", before[0], before[1], journal)
		}
	}
	if got := strings.TrimSpace(readFile(t, filepath.Join(out, "b.txt"))); got != "42" {
		t.Errorf("b.txt = %q, want 42", got)
	}
	if got := strings.TrimSpace(readFile(t, filepath.Join(out, "c.txt"))); got != fmt.Sprintf("C-%d-C-1", id) {
		t.Errorf("c.txt = %q: env SHRIKE_JOB_ID/TASK/ATTEMPT not as expected", got)
	}
	logs := map[string]string{"A": "A says hello on n", "C": "to-stderr", "D": "D read b=42"}
	for task, want := range logs {
		waitFor(t, 5*time.Second, "log of "+task, func() bool {
			var buf bytes.Buffer
			err := g.client.TaskLog(context.Background(), id, task, api.LogOptions{}, &buf)
			return err == nil && strings.Contains(buf.String(), want)
		})
	}

	// The same job through the CLI: submit --wait exits 0, ls and logs work.
	jobFile := filepath.Join(out, "job.yaml")
	if err := os.WriteFile(jobFile, []byte(strings.ReplaceAll(doc, "name: diamond", "name: diamond-cli")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, "journal")); err != nil {
		t.Fatal(err)
	}
	if _, code := g.cli("job", "submit", "--wait", jobFile); code != 0 {
		t.Fatalf("shrike job submit --wait exit code = %d, want 0", code)
	}
	lsOut, code := g.cli("job", "ls", "--json")
	var list api.JobList
	if code != 0 || json.Unmarshal([]byte(lsOut), &list) != nil || list.Total != 2 {
		t.Errorf("shrike job ls --json: code %d, output %q", code, lsOut)
	}
	logOut, code := g.cli("job", "logs", fmt.Sprint(id), "D")
	if code != 0 || !strings.Contains(logOut, "D read b=42") {
		t.Errorf("shrike job logs: code %d, output %q", code, logOut)
	}
	nodesOut, code := g.cli("node", "ls")
	if code != 0 || !strings.Contains(nodesOut, "n1") || !strings.Contains(nodesOut, "n2") {
		t.Errorf("shrike node ls: code %d, output %q", code, nodesOut)
	}
}

// TestInvalidJobStoresNothing checks that a document with several problems
// is rejected with all of them, and that nothing is stored.
func TestInvalidJobStoresNothing(t *testing.T) {
	g := newGrid(t)
	doc := `
name: broken
tasks:
  - name: a
    comand: ["true"]
  - name: a
    script: "true"
    depends_on: [missing]
    resources: {memory: lots}
`
	_, err := g.client.SubmitJob(context.Background(), []byte(doc), "application/yaml", nil)
	apiErr, ok := err.(*api.Error)
	if !ok || apiErr.Status != 400 || len(apiErr.Errors) < 4 {
		t.Fatalf("submit error = %v, want 400 with at least 4 field errors", err)
	}
	fields := map[string]bool{}
	for _, fe := range apiErr.Errors {
		fields[fe.Field] = true
	}
	for _, f := range []string{"tasks[0].comand", "tasks[1].name", "tasks[1].depends_on[0]", "tasks[1].resources.memory"} {
		if !fields[f] {
			t.Errorf("no error for field %s in %v", f, apiErr.Errors)
		}
	}
	list, err := g.client.ListJobs(context.Background(), api.ListJobsOptions{})
	if err != nil || list.Total != 0 {
		t.Errorf("after an invalid submission: %d jobs stored (err %v), want 0", list.Total, err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func readLines(t *testing.T, path string) []string {
	return strings.Split(strings.TrimSpace(readFile(t, path)), "\n")
}
