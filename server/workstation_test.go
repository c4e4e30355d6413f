package server

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
)

// ownerDial is an owner reading the test sets: the replaceable source of
// a workstation agent's owner activity.
type ownerDial struct {
	mu sync.Mutex
	r  api.OwnerReading
}

func (o *ownerDial) Read(time.Time) (api.OwnerReading, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.r, nil
}

func (o *ownerDial) set(idle time.Duration) {
	o.mu.Lock()
	o.r = api.OwnerReading{InputIdle: api.Duration(idle), Load: 0}
	o.mu.Unlock()
}

// joinAgent joins node name to a source with token and runs its agent in
// this process until the test ends.
func joinAgent(t *testing.T, srv *Server, token, name string, owner node.OwnerSource) {
	t.Helper()
	cred, err := srv.JoinNode(context.Background(), api.JoinRequest{Token: token, Name: name}, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	agent, err := node.New(node.Config{ServerURL: cred.NATSURL, Token: cred.Secret, Name: name, Slots: 2, CPUs: 2,
		WorkDir: filepath.Join(t.TempDir(), name), KillGrace: time.Second, OwnerSource: owner})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// TestWorkstationSuspendsAndVacates: a workstation node runs grid work
// while its owner is away; when the owner comes back its task is stopped
// (SIGSTOP) and continues when the owner leaves; when the owner stays
// longer than max_suspend the task is vacated — killed and queued again
// without counting a failure — and runs again once the owner is gone.
func TestWorkstationSuspendsAndVacates(t *testing.T) {
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	if _, err := srv.CreateSource(ctx, admin, api.NodeSourceSpec{Name: "desks", Infrastructure: api.PluginSpec{Type: "enroll"},
		Policy: api.PluginSpec{Type: "workstation", Params: map[string]string{"input_idle": "30s", "max_load": "100", "max_suspend": "3s"}},
		Deploy: true}); err != nil {
		t.Fatal(err)
	}
	tok, err := srv.CreateEnrollToken(ctx, admin, "desks", api.EnrollTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	owner := &ownerDial{}
	owner.set(0) // at the desk
	joinAgent(t, srv, tok.Token, "desk1", owner)

	nodeView := func() api.Node {
		d, err := srv.GetNode(ctx, admin, "desk1")
		if err != nil {
			return api.Node{}
		}
		return d.Node
	}
	waitUntil(t, 20*time.Second, "desk1 withheld while its owner is there", func() bool {
		n := nodeView()
		return n.State == api.NodeFree && n.Withheld != ""
	})

	ticks := filepath.Join(t.TempDir(), "ticks")
	spec := api.JobSpec{Name: "long", Tasks: []api.TaskSpec{{Name: "t", Resources: api.Resources{CPU: 1}, MaxAttempts: 1,
		Script: "while true; do echo x >> " + ticks + "; sleep 0.05; done"}}}
	sub, err := srv.SubmitJob(ctx, admin, spec)
	if err != nil {
		t.Fatal(err)
	}
	task := func() api.Task {
		j, err := srv.GetJob(ctx, admin, sub.ID)
		if err != nil || len(j.Tasks) == 0 {
			return api.Task{}
		}
		return j.Tasks[0]
	}
	time.Sleep(time.Second)
	if st := task().State; st != api.TaskPending {
		t.Fatalf("task %s while the owner is at the desk, want PENDING", st)
	}

	owner.set(time.Hour) // gone home
	waitUntil(t, 20*time.Second, "the task running once the owner left", func() bool {
		return task().State == api.TaskRunning && fileSize(ticks) > 0
	})

	owner.set(0) // back
	waitUntil(t, 20*time.Second, "desk1 suspended", func() bool { return nodeView().Suspended })
	time.Sleep(300 * time.Millisecond) // let a tick in flight land
	frozen := fileSize(ticks)
	time.Sleep(500 * time.Millisecond)
	if now := fileSize(ticks); now != frozen {
		t.Fatalf("the suspended task kept writing: %d bytes, then %d", frozen, now)
	}
	owner.set(time.Hour) // gone again, before max_suspend
	waitUntil(t, 20*time.Second, "desk1 resumed", func() bool { return !nodeView().Suspended })
	waitUntil(t, 20*time.Second, "the task writing again", func() bool { return fileSize(ticks) > frozen })
	if tk := task(); tk.State != api.TaskRunning || tk.Attempt != 1 {
		t.Fatalf("after resume: task %+v, want the same attempt running", tk)
	}

	owner.set(0) // back, and staying
	waitUntil(t, 30*time.Second, "the task vacated", func() bool {
		tk := task()
		return tk.State == api.TaskPending && tk.Attempt == 1
	})
	if tk := task(); tk.Error == "" {
		t.Errorf("vacated task has no reason: %+v", tk)
	}
	owner.set(time.Hour)
	waitUntil(t, 30*time.Second, "the task running again after the vacate", func() bool {
		tk := task()
		return tk.State == api.TaskRunning && tk.Attempt == 2
	})
	if err := srv.KillJob(ctx, admin, sub.ID); err != nil {
		t.Fatal(err)
	}
	j, err := srv.GetJob(ctx, admin, sub.ID)
	waitUntil(t, 20*time.Second, "job killed", func() bool {
		j, err = srv.GetJob(ctx, admin, sub.ID)
		return err == nil && j.State == api.JobKilled
	})
	// max_attempts is 1: had the vacate counted as a failure, attempt 2
	// would never have run.
	events, err := srv.RMEvents(ctx, admin, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range events.Events {
		if e.Node == "desk1" {
			seen[e.Event] = true
		}
	}
	for _, ev := range []string{"withheld", "offered", "suspended", "resumed", "vacated"} {
		if !seen[ev] {
			t.Errorf("no %q event for desk1 (saw %v)", ev, seen)
		}
	}
}

// TestNodeTokensAndAccessRights: a source's node tokens and use rights
// decide which tasks its nodes run, and only its administrators may
// operate its nodes.
func TestNodeTokensAndAccessRights(t *testing.T) {
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	for _, u := range []api.CreateUserRequest{{Name: "alice", Password: "password1", Groups: []string{"physics"}}, {Name: "bob", Password: "password2"}} {
		if _, err := srv.CreateUser(ctx, admin, u); err != nil {
			t.Fatal(err)
		}
	}
	alice := rest.Principal{Name: "alice", Role: api.RoleUser, Groups: []string{"physics"}}
	bob := rest.Principal{Name: "bob", Role: api.RoleUser}
	if _, err := srv.CreateSource(ctx, admin, api.NodeSourceSpec{Name: "gpu", Infrastructure: api.PluginSpec{Type: "enroll"},
		Policy: api.PluginSpec{Type: "static"}, NodeTokens: []string{"cuda"}, Access: api.SourceAccess{Use: []string{"group:physics"}, Admin: []string{"user:alice"}},
		Deploy: true}); err != nil {
		t.Fatal(err)
	}
	tok, err := srv.CreateEnrollToken(ctx, alice, "gpu", api.EnrollTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	joinAgent(t, srv, tok.Token, "g1", nil)
	joinAgent(t, srv, srv.NodeToken(), "plain", nil)
	waitUntil(t, 20*time.Second, "both nodes ready", func() bool {
		nodes, _ := srv.ListNodes(ctx, admin)
		ready := 0
		for _, n := range nodes {
			if n.State == api.NodeFree {
				ready++
			}
		}
		return ready == 2
	})
	submit := func(p rest.Principal, token string) int64 {
		t.Helper()
		resp, err := srv.SubmitJob(ctx, p, api.JobSpec{Name: "j", Tasks: []api.TaskSpec{{Name: "t", Command: []string{"true"},
			Resources: api.Resources{CPU: 1}, MaxAttempts: 1, NodeToken: token}}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.ID
	}
	waitTask := func(p rest.Principal, id int64, cond func(api.Task) bool) api.Task {
		t.Helper()
		var tk api.Task
		waitUntil(t, 20*time.Second, "task state", func() bool {
			j, err := srv.GetJob(ctx, p, id)
			if err != nil || len(j.Tasks) == 0 {
				return false
			}
			tk = j.Tasks[0]
			return cond(tk)
		})
		return tk
	}
	finished := func(tk api.Task) bool { return tk.State == api.TaskFinished }
	if tk := waitTask(alice, submit(alice, "cuda"), finished); tk.Node != "g1" {
		t.Errorf("alice's cuda task ran on %s, want g1", tk.Node)
	}
	for range 3 {
		if tk := waitTask(alice, submit(alice, ""), finished); tk.Node != "plain" {
			t.Errorf("a task without the token ran on %s, want plain", tk.Node)
		}
	}
	// bob may not use the gpu source: his cuda task waits, saying why.
	tk := waitTask(bob, submit(bob, "cuda"), func(tk api.Task) bool { return len(tk.WaitingReasons) > 0 })
	if tk.State != api.TaskPending {
		t.Fatalf("bob's task: %+v", tk)
	}
	found := false
	for _, r := range tk.WaitingReasons {
		if r.Message == "their node source does not let the job's owner use them" {
			found = true
		}
	}
	if !found {
		t.Errorf("bob's waiting reasons %+v do not mention access", tk.WaitingReasons)
	}
	// Only the source's administrators operate its nodes.
	if _, err := srv.LockNode(ctx, bob, "g1", ""); !api.IsCode(err, api.CodeForbidden) {
		t.Errorf("bob locking g1: %v, want forbidden", err)
	}
	if _, err := srv.LockNode(ctx, alice, "g1", "maintenance"); err != nil {
		t.Errorf("alice (source admin) locking g1: %v", err)
	}
	if _, err := srv.LockNode(ctx, alice, "plain", ""); !api.IsCode(err, api.CodeForbidden) {
		t.Errorf("alice locking a node of the default source: %v, want forbidden", err)
	}
	if err := srv.RemoveNode(ctx, bob, "g1", true); !api.IsCode(err, api.CodeForbidden) {
		t.Errorf("bob removing g1: %v, want forbidden", err)
	}
	// Sources bob may neither use nor administer are not listed to him.
	if list, _ := srv.ListSources(ctx, bob); len(list) != 1 || list[0].Name != DefaultSource {
		t.Errorf("bob's sources: %+v", list)
	}
}
