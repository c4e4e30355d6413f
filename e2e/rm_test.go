package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestNodeOperations drives lock, unlock, drain and removal through the
// CLI against a real server and agent: a locked node gets no work and the
// job says why; a removed agent leaves and exits 0; the RM's events and
// stats tell the story.
func TestNodeOperations(t *testing.T) {
	g := newGrid(t)
	agent := g.startNode("n1", 1)
	g.waitNodes("n1")
	if out, code := g.cli("node", "lock", "n1", "--reason", "disk swap"); code != 0 {
		t.Fatalf("node lock: %d %s", code, out)
	}
	id := g.submit("name: w\ntasks: [{name: t, command: [\"true\"]}]\n")
	waitFor(t, 10*time.Second, "waiting reason shown", func() bool {
		out, code := g.cli("job", "show", fmt.Sprint(id))
		return code == 0 && strings.Contains(out, "locked by admin: disk swap")
	})
	if out, code := g.cli("node", "unlock", "n1"); code != 0 {
		t.Fatalf("node unlock: %d %s", code, out)
	}
	if j := g.wait(id, 10*time.Second); j.State != api.JobFinished {
		t.Fatalf("job after unlock: %s", j.State)
	}
	if out, code := g.cli("node", "drain", "n1"); code != 0 {
		t.Fatalf("node drain: %d %s", code, out)
	}
	show, code := g.cli("node", "show", "n1")
	if code != 0 || !strings.Contains(show, "draining") || !strings.Contains(show, "unlocked") {
		t.Errorf("node show: %d\n%s", code, show)
	}
	if out, code := g.cli("node", "rm", "n1"); code != 0 {
		t.Fatalf("node rm: %d %s", code, out)
	}
	done := make(chan error, 1)
	go func() { done <- agent.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("removed agent exited with %v, want 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("removed agent did not exit")
	}
	delete(g.nodes, "n1")
	evOut, code := g.cli("rm", "events", "--json")
	var list api.RMEventList
	if err := json.Unmarshal([]byte(evOut), &list); err != nil {
		t.Fatalf("rm events --json: %v\n%s", err, evOut)
	}
	var events []string
	for _, e := range list.Events {
		if e.Node == "n1" {
			events = append(events, e.Event)
		}
	}
	if want := "registered,ready,locked,unlocked,draining,removed"; code != 0 || strings.Join(events, ",") != want {
		t.Errorf("rm events: code %d, n1 events %v, want %s\n%s", code, events, want, evOut)
	}
	statsOut, code := g.cli("rm", "stats", "--json")
	var stats api.RMStats
	if code != 0 || json.Unmarshal([]byte(statsOut), &stats) != nil || stats.Nodes != 0 {
		t.Errorf("rm stats after removal: code %d %s", code, statsOut)
	}
}
