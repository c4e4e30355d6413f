package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestResultsExample runs the shipped examples/results.yaml with the real
// binary: the Lua task's table reaches the shell task through
// $SHRIKE_PARENT_RESULTS, both results come back from `shrike job
// result`, and `shrike job server-logs` tells where the tasks ran.
func TestResultsExample(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 2)
	g.waitNodes("n1")
	doc, err := os.ReadFile("../examples/results.yaml")
	if err != nil {
		t.Fatal(err)
	}
	id := g.submit(string(doc))
	if job := g.wait(id, 30*time.Second); job.State != api.JobFinished {
		t.Fatalf("job %s: %+v", job.State, job.Tasks)
	}
	ids := fmt.Sprint(id)

	out, code := g.cli("job", "result", ids)
	if code != 0 {
		t.Fatalf("job result: exit %d", code)
	}
	var results map[string]any
	if err := json.Unmarshal([]byte(out), &results); err != nil {
		t.Fatalf("job result printed %q: %v", out, err)
	}
	got, _ := json.Marshal(results)
	want := `{"count":{"count":3,"words":["alpha","beta","gamma"]},"report":{"score":30,"words":3}}`
	if string(got) != want {
		t.Errorf("results %s, want %s", got, want)
	}
	if out, code := g.cli("job", "result", ids, "report", "--raw"); code != 0 || out != `{"words":3,"score":30}`+"\n" {
		t.Errorf("job result report --raw: exit %d, %q", code, out)
	}
	if out, code := g.cli("job", "logs", ids, "report"); code != 0 || !strings.Contains(out, `parents: {"count":{"count":3,`) {
		t.Errorf("report's log: exit %d, %q", code, out)
	}
	if _, code := g.cli("job", "result", ids, "nope"); code == 0 {
		t.Errorf("job result of an unknown task succeeded")
	}

	out, code = g.cli("job", "server-logs", ids)
	for _, want := range []string{"submitted by admin: 2 tasks", "count#1  placed on node n1 (attempt 1)",
		"report#1  placed on node n1 (attempt 1)", "report#1  FINISHED on node n1", "job FINISHED"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("server-logs (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
}

// TestLogsFollow: `shrike job logs -f` with the real binary prints a
// task's output as it comes and returns once the attempt is over, on the
// event stream of its job.
func TestLogsFollow(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 1)
	g.waitNodes("n1")
	id := g.submit(`
name: follow
tasks:
  - name: talk
    script: |
      echo one
      sleep 1
      echo two
`)
	g.waitTask(id, "talk", api.TaskRunning, 30*time.Second)
	out, code := g.cli("job", "logs", "-f", fmt.Sprint(id), "talk")
	if code != 0 || out != "one\ntwo\n" {
		t.Errorf("logs -f: exit %d, %q", code, out)
	}
	if job := g.wait(id, 30*time.Second); job.State != api.JobFinished {
		t.Errorf("job %s", job.State)
	}
}
