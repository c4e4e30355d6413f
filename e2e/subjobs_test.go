package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestSubJobsExample runs examples/subjobs.yaml with the real binary: its
// task submits child jobs with `shrike job submit` (the job-scoped token
// in its environment), waits for them with `shrike job wait`, reads their
// output with `shrike job logs` and prints the sum; the children are
// listed under the job.
func TestSubJobsExample(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 4)
	g.waitNodes("n1")
	doc, err := os.ReadFile(filepath.Join("..", "examples", "subjobs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := g.client.SubmitJob(context.Background(), doc, "application/yaml", map[string]string{"SHRIKE": shrikeBin, "N": "1000"})
	if err != nil {
		t.Fatal(err)
	}
	job := g.wait(resp.ID, 90*time.Second)
	logs, _ := g.cli("job", "logs", strconv.FormatInt(resp.ID, 10), "split")
	if job.State != api.JobFinished {
		t.Fatalf("job %s, tasks %+v; log:\n%s", job.State, job.Tasks, logs)
	}
	if !strings.Contains(logs, "sum of 1..1000 over 4 sub-jobs: 500500") {
		t.Errorf("split's log lacks the sum:\n%s", logs)
	}
	if len(job.Children) != 4 {
		t.Fatalf("children %v, want 4", job.Children)
	}
	for _, id := range job.Children {
		child, err := g.client.GetJob(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if child.Parent != resp.ID || child.State != api.JobFinished || child.Owner != "admin" {
			t.Errorf("child %d: parent %d, %s, owner %s; want parent %d, FINISHED, admin", id, child.Parent, child.State, child.Owner, resp.ID)
		}
	}
	out, code := g.cli("job", "show", strconv.FormatInt(resp.ID, 10))
	if code != 0 || !strings.Contains(out, "Children:") {
		t.Errorf("job show (exit %d) lacks the children:\n%s", code, out)
	}
	out, code = g.cli("job", "ls", "--parent", strconv.FormatInt(resp.ID, 10), "--json")
	var list api.JobList
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Jobs) != 4 {
		t.Errorf("job ls --parent (exit %d): %s", code, out)
	}
}

// TestSubJobTreeKillAndScope: a task's token cannot reach past its job
// (node ls is refused, with the reason); killing the top of a tree of
// sub-jobs kills the job its task submitted, which was still running.
func TestSubJobTreeKillAndScope(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 4)
	g.waitNodes("n1")
	dir := t.TempDir()
	id := g.submit(fmt.Sprintf(`
name: tree
variables:
  SHRIKE: %s
  OUT: %s
tasks:
  - name: top
    script: |
      "$SHRIKE" node ls > "$OUT/nodes.txt" 2>&1 && echo ok >> "$OUT/nodes.txt" || echo "exit $?" >> "$OUT/nodes.txt"
      printf 'name: child\ntasks:\n  - name: t\n    command: [sleep, "120"]\n' > child.yaml
      "$SHRIKE" job submit child.yaml > "$OUT/child.txt"
      sleep 120
    resources: {cpu: 0.1}
`, shrikeBin, dir))
	var childID int64
	waitFor(t, 30*time.Second, "the child submitted", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "child.txt"))
		s := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(string(b)), "Submitted job "), ".")
		childID, _ = strconv.ParseInt(s, 10, 64)
		return childID > 0
	})
	g.waitTask(childID, "t", api.TaskRunning, 30*time.Second)
	nodes, _ := os.ReadFile(filepath.Join(dir, "nodes.txt"))
	if !strings.Contains(string(nodes), "a job-scoped token may only") || strings.Contains(string(nodes), "\nok") {
		t.Errorf("node ls from a task:\n%s\nwant refused with the job-scoped reason", nodes)
	}
	if _, code := g.cli("job", "kill", strconv.FormatInt(id, 10)); code != 0 {
		t.Fatalf("job kill exit %d", code)
	}
	child := g.wait(childID, 30*time.Second)
	if child.State != api.JobKilled || child.Tasks[0].Error != fmt.Sprintf("parent job %d was killed", id) {
		t.Errorf("child after its parent was killed: %s, task error %q", child.State, child.Tasks[0].Error)
	}
}

// TestJobHoldsAndSuspendCLI drives depends_on_jobs (--after), start_at
// (--start-at) and suspend_task through the CLI against the real binary.
func TestJobHoldsAndSuspendCLI(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 4)
	g.waitNodes("n1")
	dir := t.TempDir()
	write := func(name, doc string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	submittedID := func(out string) string {
		return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(out), "Submitted job "), ".")
	}
	first := write("first.yaml", "name: first\ntasks:\n  - name: t\n    command: [sleep, \"2\"]\n")
	then := write("then.yaml", "name: then\ntasks:\n  - name: t\n    command: [\"true\"]\n")
	out, code := g.cli("job", "submit", first)
	if code != 0 {
		t.Fatalf("submit first: exit %d", code)
	}
	firstID := submittedID(out)
	// --after waits for it; --start-at +3s also holds the job.
	out, code = g.cli("job", "submit", then, "--after", firstID, "--start-at", "+3s", "--wait", "--json")
	var job api.Job
	if code != 0 || json.Unmarshal([]byte(out), &job) != nil || job.State != api.JobFinished {
		t.Fatalf("submit --after --start-at --wait: exit %d, %s", code, out)
	}
	id, _ := strconv.ParseInt(firstID, 10, 64)
	firstJob := g.wait(id, 10*time.Second)
	if job.StartAt == nil || len(job.DependsOnJobs) != 1 || job.DependsOnJobs[0] != id {
		t.Errorf("held job: start_at %v, depends_on_jobs %v", job.StartAt, job.DependsOnJobs)
	}
	if started := job.Tasks[0].StartedAt; started.Before(*firstJob.FinishedAt) || started.Before(*job.StartAt) {
		t.Errorf("held job started %v, before job %d ended (%v) or its start_at (%v)", started, id, firstJob.FinishedAt, job.StartAt)
	}
	// A job after one that fails ends FAILED without running.
	bad := write("bad.yaml", "name: bad\ntasks:\n  - name: t\n    command: [\"false\"]\n")
	out, _ = g.cli("job", "submit", bad)
	if _, code = g.cli("job", "submit", then, "--after", submittedID(out), "--wait"); code != 3 {
		t.Errorf("job after a failed one: exit %d, want 3 (FAILED)", code)
	}

	// suspend_task: IN_ERROR, the job waits; restarting the task after the
	// fix lets it finish.
	marker := filepath.Join(dir, "fixed")
	flaky := write("flaky.yaml", fmt.Sprintf("name: flaky\non_task_error: suspend_task\ntasks:\n  - name: t\n    command: [test, -f, %s]\n  - name: after\n    depends_on: [t]\n    command: [\"true\"]\n", marker))
	out, _ = g.cli("job", "submit", flaky)
	flakyID := submittedID(out)
	fid, _ := strconv.ParseInt(flakyID, 10, 64)
	g.waitTask(fid, "t", api.TaskInError, 30*time.Second)
	if _, code = g.cli("job", "wait", flakyID, "--timeout", "1s"); code != 5 {
		t.Errorf("wait on a job with an IN_ERROR task: exit %d, want 5 (still waiting)", code)
	}
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, code = g.cli("job", "task", "restart", flakyID, "t"); code != 0 {
		t.Fatalf("task restart: exit %d", code)
	}
	if _, code = g.cli("job", "wait", flakyID, "--timeout", "30s"); code != 0 {
		t.Errorf("wait after the restart: exit %d, want 0 (FINISHED)", code)
	}
}
