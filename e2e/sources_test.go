package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// sourceNodes lists the nodes of a source with the CLI.
func (g *grid) sourceNodes(source string) []api.Node {
	g.t.Helper()
	out, code := g.cli("node", "ls", "--source", source, "--json")
	if code != 0 {
		g.t.Fatalf("node ls --source %s: exit %d: %s", source, code, out)
	}
	var nodes []api.Node
	if err := json.Unmarshal([]byte(out), &nodes); err != nil {
		g.t.Fatalf("node ls --json: %v: %s", err, out)
	}
	return nodes
}

func countStates(nodes []api.Node, states ...api.NodeState) int {
	n := 0
	for _, nd := range nodes {
		for _, st := range states {
			if nd.State == st {
				n++
			}
		}
	}
	return n
}

// TestElasticLocalSource: an elastic source of local agent processes grows
// with the queue, survives a server crash (its agents and its definition
// too), and shrinks back to nothing once idle.
func TestElasticLocalSource(t *testing.T) {
	g := newGrid(t)
	out, code := g.cli("source", "create", "farm", "--infra", "local", "--infra-param", "max_nodes=3", "--infra-param", "slots=1",
		"--policy", "elastic", "--policy-param", "max_nodes=3", "--policy-param", "release_after=2s", "--deploy")
	if code != 0 {
		t.Fatalf("source create: exit %d: %s", code, out)
	}
	if nodes := g.sourceNodes("farm"); len(nodes) != 0 {
		t.Fatalf("an elastic source with an empty queue deployed %d nodes", len(nodes))
	}
	id := g.submit(`name: wide
tasks:
  - {name: a, script: "sleep 5", resources: {cpu: 1}}
  - {name: b, script: "sleep 5", resources: {cpu: 1}}
  - {name: c, script: "sleep 5", resources: {cpu: 1}}
`)
	waitFor(t, 60*time.Second, "3 farm nodes running the 3 tasks", func() bool {
		return countStates(g.sourceNodes("farm"), api.NodeBusy) == 3
	})
	if pids := processesUnder(filepath.Join(g.dataDir, "sources", "farm")); len(pids) < 3 {
		t.Fatalf("%d local agent processes, want 3", len(pids))
	}

	// The server crashes; the agents go on, and the restarted server
	// finds its source, its nodes and their tasks again.
	g.killServer()
	g.startServer()
	job := g.wait(id, 90*time.Second)
	if job.State != api.JobFinished {
		t.Fatalf("job after a server crash: %+v", job)
	}
	nodes := map[string]bool{}
	for _, tk := range job.Tasks {
		if !strings.HasPrefix(tk.Node, "farm-") || tk.Attempt != 1 {
			t.Errorf("task %s ran on %s (attempt %d), want a farm node, first attempt", tk.Name, tk.Node, tk.Attempt)
		}
		nodes[tk.Node] = true
	}
	if len(nodes) != 3 {
		t.Errorf("tasks ran on %v, want 3 nodes", nodes)
	}

	waitFor(t, 60*time.Second, "the idle farm released", func() bool { return len(g.sourceNodes("farm")) == 0 })
	waitFor(t, 20*time.Second, "the released agents gone", func() bool {
		return len(processesUnder(filepath.Join(g.dataDir, "sources", "farm"))) == 0
	})
	show, code := g.cli("source", "show", "farm")
	if code != 0 || !strings.Contains(show, "DEPLOYED") {
		t.Errorf("source show after the crash: exit %d: %s", code, show)
	}
	events, err := g.client.RMEvents(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range events.Events {
		if strings.HasPrefix(e.Node, "farm-") {
			seen[e.Event]++
		}
	}
	for _, ev := range []string{"deploying", "registered", "ready", "releasing", "removed"} {
		if seen[ev] < 3 {
			t.Errorf("%d %q events for the farm nodes, want 3 or more (saw %v)", seen[ev], ev, seen)
		}
	}
}

// TestLostLocalNodeIsRedeployed: a local agent killed outright is LOST at
// once (its infrastructure notices, no heartbeat timeout needed) and the
// restart-down policy deploys it again; undeploy then releases it.
func TestLostLocalNodeIsRedeployed(t *testing.T) {
	g := newGrid(t)
	out, code := g.cli("source", "create", "pool", "--infra", "local", "--infra-param", "max_nodes=1",
		"--policy", "restart-down", "--deploy")
	if code != 0 {
		t.Fatalf("source create: exit %d: %s", code, out)
	}
	waitFor(t, 30*time.Second, "pool-1 FREE", func() bool { return countStates(g.sourceNodes("pool"), api.NodeFree) == 1 })
	pids := processesUnder(filepath.Join(g.dataDir, "sources", "pool"))
	if len(pids) != 1 {
		t.Fatalf("agent processes: %v, want 1", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "pool-1 LOST then FREE again", func() bool {
		ns := g.sourceNodes("pool")
		if len(ns) != 1 || ns[0].State != api.NodeFree {
			return false
		}
		now := processesUnder(filepath.Join(g.dataDir, "sources", "pool"))
		return len(now) == 1 && now[0] != pids[0]
	})
	detail, err := g.client.GetNode(context.Background(), "pool-1")
	if err != nil {
		t.Fatal(err)
	}
	var history []string
	for _, e := range detail.History {
		history = append(history, fmt.Sprintf("%s:%s", e.Event, e.State))
	}
	if h := strings.Join(history, " "); !strings.Contains(h, "lost:LOST") || !strings.Contains(h, "deploying:DEPLOYING") {
		t.Errorf("history of pool-1: %s", h)
	}
	if out, code := g.cli("source", "undeploy", "pool"); code != 0 {
		t.Fatalf("undeploy: exit %d: %s", code, out)
	}
	waitFor(t, 30*time.Second, "pool released", func() bool {
		return len(g.sourceNodes("pool")) == 0 && len(processesUnder(filepath.Join(g.dataDir, "sources", "pool"))) == 0
	})
	src, err := g.client.GetSource(context.Background(), "pool")
	if err != nil || src.Status != api.SourceUndeployed {
		t.Fatalf("source after undeploy: %+v (%v)", src, err)
	}
}
