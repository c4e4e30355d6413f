package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestNodeStopsHeartbeating freezes the node agent that runs a task
// (SIGSTOP): the node goes DOWN, the task runs again on the other node and
// finishes; when the agent thaws it registers again, is told to kill its
// stale attempt, and becomes FREE.
func TestNodeStopsHeartbeating(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 1)
	g.startNode("n2", 1)
	g.waitNodes("n1", "n2")
	id := g.submit(`
name: survive
tasks:
  - name: work
    script: |
      echo "attempt $SHRIKE_ATTEMPT on $SHRIKE_NODE"
      sleep 2
`)
	first := g.waitTask(id, "work", api.TaskRunning, 10*time.Second)
	frozen := g.nodes[first.Node]
	if err := frozen.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	job := g.wait(id, 30*time.Second)
	tk := taskByName(t, job, "work")
	if job.State != api.JobFinished || tk.Attempt != 2 || tk.Node == first.Node {
		t.Fatalf("after freezing %s: job %s, task %+v; want FINISHED on the other node at attempt 2", first.Node, job.State, tk)
	}
	nodes, _ := g.client.ListNodes(context.Background())
	for _, n := range nodes {
		if n.Name == first.Node && n.State != api.NodeDown {
			t.Errorf("frozen node %s state %s, want DOWN", n.Name, n.State)
		}
	}
	if err := frozen.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, first.Node+" back and idle", func() bool {
		nodes, err := g.client.ListNodes(context.Background())
		if err != nil {
			return false
		}
		for _, n := range nodes {
			if n.Name == first.Node {
				return n.State == api.NodeFree && len(n.RunningTasks) == 0
			}
		}
		return false
	})
}

// TestServerRestartLosesNothing kills the server with SIGKILL while a job
// has tasks running and queued, restarts it, and checks that every task
// runs exactly once and every result lands.
func TestServerRestartLosesNothing(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 2)
	g.startNode("n2", 2)
	g.waitNodes("n1", "n2")
	out := t.TempDir()
	var doc strings.Builder
	fmt.Fprintf(&doc, "name: restart\nvariables: {OUT: %s}\ntasks:\n", out)
	const n = 10
	for i := range n {
		fmt.Fprintf(&doc, "  - name: t%d\n    script: |\n      echo \"$SHRIKE_TASK $SHRIKE_ATTEMPT\" >> \"$OUT/runs\"\n      sleep 1\n      echo done-$SHRIKE_TASK\n", i)
	}
	fmt.Fprintf(&doc, "  - name: last\n    depends_on: [%s]\n    command: [\"true\"]\n", taskNames(n))
	id := g.submit(doc.String())
	runsFile := filepath.Join(out, "runs")
	waitFor(t, 10*time.Second, "some tasks started on the nodes", func() bool {
		data, err := os.ReadFile(runsFile)
		return err == nil && strings.Count(string(data), "\n") >= 3
	})
	g.killServer()
	time.Sleep(1500 * time.Millisecond) // results pile up in the nodes' outboxes
	g.startServer()
	job := g.wait(id, 60*time.Second)
	if job.State != api.JobFinished {
		t.Fatalf("after restart: job %s, tasks %+v", job.State, job.Tasks)
	}
	// Every task ran exactly once, and the run that happened is the attempt
	// the job records. (An attempt the server had placed but not yet sent
	// when it was killed never ran: it is retried, so the attempt that runs
	// may be the second.)
	ran := map[string]int{}
	for _, line := range readLines(t, runsFile) {
		var name string
		var attempt int
		if _, err := fmt.Sscanf(line, "%s %d", &name, &attempt); err != nil {
			t.Fatalf("bad line %q in runs", line)
		}
		if _, twice := ran[name]; twice {
			t.Errorf("task %s ran twice: %q", name, readLines(t, runsFile))
		}
		ran[name] = attempt
	}
	for i := range n {
		name := fmt.Sprintf("t%d", i)
		tk := taskByName(t, job, name)
		if tk.State != api.TaskFinished || ran[name] == 0 || ran[name] != tk.Attempt {
			t.Errorf("task %s: %s, attempt %d in the job, ran at attempt %d", name, tk.State, tk.Attempt, ran[name])
		}
		if tk.Attempt > 2 {
			t.Errorf("task %s needed %d attempts", name, tk.Attempt)
		}
	}
	var buf bytes.Buffer
	waitFor(t, 5*time.Second, "log of t0", func() bool {
		buf.Reset()
		return g.client.TaskLog(context.Background(), id, "t0", api.LogOptions{}, &buf) == nil && strings.Contains(buf.String(), "done-t0")
	})
}

// TestWrongNodeToken: an agent with a bad token is refused at once with a
// clear message.
func TestWrongNodeToken(t *testing.T) {
	g := newGrid(t)
	cmd := exec.Command(shrikeBin, "node", "--server", g.url(), "--token", "not-the-token", "--name", "intruder", "--work-dir", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("node with a wrong token exited 0")
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("node with a wrong token did not exit")
	}
	if !strings.Contains(stderr.String(), "token") {
		t.Errorf("stderr %q does not explain the token problem", stderr.String())
	}
	nodes, _ := g.client.ListNodes(context.Background())
	if len(nodes) != 0 {
		t.Errorf("nodes after a refused agent: %+v", nodes)
	}
}

func taskNames(n int) string {
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("t%d", i)
	}
	return strings.Join(names, ", ")
}

// TestNodeAgentKilled kills a node agent with SIGKILL while it runs a task
// and starts it again on the same work dir: the orphaned attempt dies (it
// never writes its end line), the server retries the task, and it finishes
// once.
func TestNodeAgentKilled(t *testing.T) {
	g := newGrid(t)
	agent := g.startNode("n1", 1)
	g.waitNodes("n1")
	out := t.TempDir()
	id := g.submit(fmt.Sprintf(`
name: agent-crash
variables: {OUT: %s}
tasks:
  - name: work
    script: |
      echo "start $SHRIKE_ATTEMPT" >> "$OUT/journal"
      sleep 3
      echo "end $SHRIKE_ATTEMPT" >> "$OUT/journal"
`, out))
	journal := filepath.Join(out, "journal")
	waitFor(t, 10*time.Second, "attempt 1 started", func() bool {
		data, err := os.ReadFile(journal)
		return err == nil && strings.Contains(string(data), "start 1")
	})
	if err := agent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = agent.Wait()
	g.startNode("n1", 1)
	job := g.wait(id, 30*time.Second)
	tk := taskByName(t, job, "work")
	if job.State != api.JobFinished || tk.Attempt != 2 {
		t.Fatalf("after the agent crash: job %s, task %+v; want FINISHED at attempt 2", job.State, tk)
	}
	time.Sleep(time.Second) // attempt 1 would have ended by now had it survived
	lines := readLines(t, journal)
	want := []string{"start 1", "start 2", "end 2"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("journal = %q, want %q: the orphaned attempt must not run on", lines, want)
	}
}
