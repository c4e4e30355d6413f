package server

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
)

// TestLockDrainRemove walks a node through lock, unlock, drain and a
// forced removal, checking scheduling, history, stats and the agent's exit.
func TestLockDrainRemove(t *testing.T) {
	g := startTestGrid(t, 0, 1)
	ctx := context.Background()
	dir := t.TempDir()
	agentDone := map[string]chan error{}
	for _, name := range []string{"a", "b"} {
		agent, err := node.New(node.Config{ServerURL: g.srv.NATSURL(), Token: nodeSecret(t, g.srv, name), Name: name, Slots: 1, CPUs: 1,
			WorkDir: filepath.Join(dir, name), KillGrace: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		agentDone[name] = done
		actx, cancel := context.WithCancel(ctx)
		t.Cleanup(cancel)
		go func() { done <- agent.Run(actx) }()
	}
	waitUntil(t, 10*time.Second, "two nodes", func() bool {
		ns, _ := g.srv.ListNodes(ctx, g.admin)
		return len(ns) == 2
	})
	user := rest.Principal{Name: "bob", Role: api.RoleUser}
	if _, err := g.srv.LockNode(ctx, user, "a", "mine"); !api.IsCode(err, api.CodeForbidden) {
		t.Fatalf("a user locking a node: %v, want forbidden", err)
	}
	for _, name := range []string{"a", "b"} {
		if _, err := g.srv.LockNode(ctx, g.admin, name, "maintenance"); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := g.srv.SubmitJob(ctx, g.admin, api.JobSpec{Name: "w", Tasks: []api.TaskSpec{commandTask("t", []string{"sleep", "30"})}})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "reason: locked", func() bool {
		j, _ := g.srv.GetJob(ctx, g.admin, resp.ID)
		r := j.Tasks[0].WaitingReasons
		return j.Tasks[0].State == api.TaskPending && len(r) == 1 && r[0].Count == 2 && strings.Contains(r[0].Message, "locked by admin: maintenance")
	})
	if _, err := g.srv.UnlockNode(ctx, g.admin, "a"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "task running on a", func() bool {
		j, _ := g.srv.GetJob(ctx, g.admin, resp.ID)
		return j.Tasks[0].State == api.TaskRunning && j.Tasks[0].Node == "a"
	})
	if _, err := g.srv.DrainNode(ctx, g.admin, "a", true); err != nil {
		t.Fatal(err)
	}
	if err := g.srv.RemoveNode(ctx, g.admin, "a", false); !api.IsCode(err, api.CodeConflict) {
		t.Fatalf("removing a busy node without force: %v, want conflict", err)
	}
	if _, err := g.srv.UnlockNode(ctx, g.admin, "b"); err != nil {
		t.Fatal(err)
	}
	if err := g.srv.RemoveNode(ctx, g.admin, "a", true); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-agentDone["a"]:
		if !errors.Is(err, node.ErrRemoved) {
			t.Fatalf("removed agent's Run returned %v, want ErrRemoved", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the removed agent did not leave")
	}
	waitUntil(t, 10*time.Second, "task running again on b", func() bool {
		j, _ := g.srv.GetJob(ctx, g.admin, resp.ID)
		return j.Tasks[0].State == api.TaskRunning && j.Tasks[0].Node == "b" && j.Tasks[0].Attempt == 2
	})
	if _, err := g.srv.GetNode(ctx, g.admin, "a"); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("removed node still found: %v", err)
	}
	detail, err := g.srv.GetNode(ctx, g.admin, "b")
	if err != nil {
		t.Fatal(err)
	}
	// "ready" (the first heartbeat) comes at a time of its own: checked
	// apart from the admin's changes.
	var got []string
	ready := 0
	for _, e := range detail.History {
		if e.Event == "ready" {
			ready++
			continue
		}
		got = append(got, e.Event)
	}
	if ready != 1 {
		t.Errorf("history of b has %d ready events, want 1", ready)
	}
	if want := "registered,locked,unlocked"; strings.Join(got, ",") != want {
		t.Errorf("history of b = %v, want %s", got, want)
	}
	events, err := g.srv.RMEvents(ctx, user, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var aEvents []string
	for _, e := range events.Events {
		if e.Node == "a" && e.Event != "ready" {
			aEvents = append(aEvents, fmt.Sprintf("%s/%s", e.Event, e.By))
		}
	}
	if want := "registered/,locked/admin,unlocked/admin,draining/admin,removed/admin"; strings.Join(aEvents, ",") != want {
		t.Errorf("events of a = %v, want %s", aEvents, want)
	}
	if more, _ := g.srv.RMEvents(ctx, user, events.Next, 100); len(more.Events) != 0 {
		t.Errorf("events after Next: %+v", more.Events)
	}
	stats, _ := g.srv.RMStats(ctx, user)
	if stats.Nodes != 1 || stats.ByState[api.NodeBusy] != 1 || stats.UsedSlots != 1 || stats.BySource["default"] != 1 {
		t.Errorf("stats %+v", stats)
	}
	waitUntil(t, 5*time.Second, "history samples", func() bool {
		h, err := g.srv.RMHistory(ctx, user, "1h")
		return err == nil && len(h.Samples) >= 2
	})
	if _, err := g.srv.RMHistory(ctx, user, "2y"); !api.IsCode(err, api.CodeInvalid) {
		t.Errorf("bad range: %v", err)
	}
}

// TestDownNodesExpire: a node DOWN for longer than the retention is
// removed, with a "removed" event in the RM's log.
func TestDownNodesExpire(t *testing.T) {
	dir := t.TempDir()
	cfg := TestConfig(filepath.Join(dir, "server"))
	cfg.DownNodeRetention = 500 * time.Millisecond
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- srv.Run(ctx) }()
	defer func() { cancel(); <-runDone }()
	agent, err := node.New(node.Config{ServerURL: srv.NATSURL(), Token: nodeSecret(t, srv, "gone"), Name: "gone", WorkDir: filepath.Join(dir, "n")})
	if err != nil {
		t.Fatal(err)
	}
	actx, stopAgent := context.WithCancel(ctx)
	agentDone := make(chan error, 1)
	go func() { agentDone <- agent.Run(actx) }()
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	waitUntil(t, 10*time.Second, "node ready", func() bool {
		ns, _ := srv.ListNodes(ctx, admin)
		return len(ns) == 1 && ns[0].State == api.NodeFree
	})
	stopAgent()
	<-agentDone
	waitUntil(t, 15*time.Second, "node expired", func() bool {
		ns, _ := srv.ListNodes(ctx, admin)
		return len(ns) == 0
	})
	var got []string
	waitUntil(t, 5*time.Second, "the removal in the RM's events", func() bool {
		ev, err := srv.RMEvents(ctx, admin, 0, 100)
		got = got[:0]
		for _, e := range ev.Events {
			got = append(got, e.Event)
		}
		return err == nil && len(got) >= 4
	})
	if want := "registered,ready,down,removed"; strings.Join(got, ",") != want {
		t.Errorf("events %v, want %s", got, want)
	}
}
