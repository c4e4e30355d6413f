package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
)

// startFactNode runs an in-process agent of the default source with
// custom facts and tags.
func startFactNode(t *testing.T, srv *Server, name string, facts map[string]string, tags ...string) {
	t.Helper()
	startNodeWith(t, srv, name, func(c *node.Config) { c.Facts, c.Tags = facts, tags })
}

// startNodeWith runs an in-process agent of the default source, its
// configuration adjusted by edit.
func startNodeWith(t *testing.T, srv *Server, name string, edit func(*node.Config)) {
	t.Helper()
	cred, err := srv.EnrollLocal(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := node.Config{ServerURL: cred.NATSURL, Token: cred.Secret, Name: name, Slots: 2, CPUs: 2,
		WorkDir: filepath.Join(t.TempDir(), name), KillGrace: time.Second}
	edit(&cfg)
	agent, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitReady(t *testing.T, srv *Server, names ...string) {
	t.Helper()
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	waitUntil(t, 20*time.Second, "nodes ready", func() bool {
		nodes, _ := srv.ListNodes(context.Background(), admin)
		ready := 0
		for _, n := range nodes {
			if n.State == api.NodeFree {
				ready++
			}
		}
		return ready == len(names)
	})
}

func selTask(name string, sel ...api.SelectionScript) api.TaskSpec {
	return api.TaskSpec{Name: name, Command: []string{"true"}, Resources: api.Resources{CPU: 1}, MaxAttempts: 1, Selection: sel}
}

func static(lua string, args ...string) api.SelectionScript {
	return api.SelectionScript{Lua: lua, Type: api.SelectionStatic, Args: args}
}

// TestStaticSelection: static scripts send tasks to the nodes whose facts
// they accept, with the verdicts cached per node and facts generation; a
// task no node accepts waits with the script's reason, is announced by a
// warning at submission, and explain shows each node's verdict.
func TestStaticSelection(t *testing.T) {
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	startFactNode(t, srv, "rack7", map[string]string{"rack": "7"}, "fast")
	startFactNode(t, srv, "rack9", map[string]string{"rack": "9"})
	waitReady(t, srv, "rack7", "rack9")

	spec := api.JobSpec{Name: "sel", Variables: map[string]string{"RACK": "7"}, Tasks: []api.TaskSpec{
		selTask("by-var", static(`return node.facts.rack == vars.RACK`)),
		selTask("by-arg", static(`return node.facts.rack == args[1]`, "9")),
		selTask("library", api.SelectionScript{File: "has-tags.lua", Type: api.SelectionStatic, Args: []string{"fast"}}),
		selTask("both", static(`return node.facts.rack ~= nil`), static(`selected = node.name == "rack9"`)),
	}}
	resp, err := srv.SubmitJob(ctx, admin, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Warnings) != 0 {
		t.Fatalf("warnings for a job every task of which has a node: %v", resp.Warnings)
	}
	job := waitJobDone(t, srv, admin, resp.ID)
	want := map[string]string{"by-var": "rack7", "by-arg": "rack9", "library": "rack7", "both": "rack9"}
	for _, tk := range job.Tasks {
		if tk.State != api.TaskFinished || tk.Node != want[tk.Name] {
			t.Errorf("task %s: %s on %s, want FINISHED on %s", tk.Name, tk.State, tk.Node, want[tk.Name])
		}
	}

	// Unchanged nodes: a second job with the same scripts evaluates nothing.
	before := srv.sel.engine.Evaluations()
	resp2, err := srv.SubmitJob(ctx, admin, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitJobDone(t, srv, admin, resp2.ID)
	if after := srv.sel.engine.Evaluations(); after != before {
		t.Errorf("the same static scripts on unchanged nodes were evaluated again: %d evaluations", after-before)
	}

	// A task no node accepts: a warning, then it waits with the reason.
	none := api.JobSpec{Name: "none", Tasks: []api.TaskSpec{
		selTask("gpu", api.SelectionScript{File: "gpu.lua", Type: api.SelectionStatic}),
		selTask("broken", static(`return node.nothing.here`)),
	}}
	resp3, err := srv.SubmitJob(ctx, admin, none)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp3.Warnings) != 2 || !strings.Contains(resp3.Warnings[0], "gpu.lua returned false") {
		t.Fatalf("warnings %q, want one per task naming gpu.lua", resp3.Warnings)
	}
	var ex api.JobExplain
	waitUntil(t, 10*time.Second, "reasons from the scheduler", func() bool {
		ex, err = srv.ExplainJob(ctx, admin, resp3.ID, "rack7")
		return err == nil && len(ex.Tasks) == 2 && len(ex.Tasks[0].Reasons) > 0 && ex.Tasks[0].Reasons[0].Count == 2
	})
	if r := ex.Tasks[0].Reasons[0]; r.Message != "gpu.lua returned false" {
		t.Errorf("gpu task reasons %+v", ex.Tasks[0].Reasons)
	}
	if r := ex.Tasks[1].Reasons[0]; !strings.HasPrefix(r.Message, "selection[0]: script error") {
		t.Errorf("broken task reasons %+v", ex.Tasks[1].Reasons)
	}
	nv := ex.Tasks[1].Node
	if nv == nil || nv.Fits || len(nv.Scripts) != 1 || nv.Scripts[0].Selected || !strings.Contains(nv.Scripts[0].Reason, "line 1") && !strings.Contains(nv.Scripts[0].Reason, ":1:") {
		t.Errorf("explain --node rack7 for the broken task: %+v", nv)
	}

	// Dry run: which nodes could run what; nothing stored.
	dry, err := srv.DryRunJob(ctx, admin, spec)
	if err != nil {
		t.Fatal(err)
	}
	if dry.Tasks[0].Eligible != 1 || dry.Tasks[0].Nodes[0] != "rack7" || len(dry.Warnings) != 0 {
		t.Errorf("dry run: %+v", dry)
	}
	list, _ := srv.ListJobs(ctx, admin, rest.JobQuery{})
	if list.Total != 3 {
		t.Errorf("a dry run stored a job: %d jobs", list.Total)
	}
}

func waitJobDone(t *testing.T, srv *Server, p rest.Principal, id int64) api.Job {
	t.Helper()
	var job api.Job
	waitUntil(t, 30*time.Second, "job over", func() bool {
		var err error
		job, err = srv.GetJob(context.Background(), p, id)
		return err == nil && job.State.Terminal()
	})
	return job
}

func TestSelectionAllowlistAndScriptTest(t *testing.T) {
	cfg := TestConfig(t.TempDir())
	allowed := `return node.os == "linux"`
	cfg.SelectionAllowlist = []string{sha256Hex(allowed)}
	srv, _ := runServer(t, cfg)
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	if _, err := srv.CreateUser(ctx, admin, api.CreateUserRequest{Name: "u", Password: "password1"}); err != nil {
		t.Fatal(err)
	}
	user := rest.Principal{Name: "u", Role: api.RoleUser}
	job := api.JobSpec{Name: "j", Tasks: []api.TaskSpec{
		selTask("ok", static(allowed), api.SelectionScript{File: "linux.lua", Type: api.SelectionStatic}),
		selTask("no", static(`return true`)),
	}}
	_, err := srv.SubmitJob(ctx, user, job)
	if !api.IsCode(err, api.CodeInvalid) {
		t.Fatalf("a script off the allow-list: %v, want invalid", err)
	}
	if f := fieldsOf(err); len(f) != 1 || f["tasks[1].selection[0].lua"] == "" {
		t.Fatalf("allow-list errors %v, want only tasks[1].selection[0].lua", f)
	}
	if _, err := srv.SubmitJob(ctx, admin, job); err != nil {
		t.Fatalf("admins are not restricted: %v", err)
	}

	startFactNode(t, srv, "n1", map[string]string{"rack": "7"})
	waitReady(t, srv, "n1")
	if _, err := srv.TestScript(ctx, user, api.ScriptTestRequest{Node: "n1", Script: static("return true")}); !api.IsCode(err, api.CodeForbidden) {
		t.Fatalf("script test by a user: %v", err)
	}
	res, err := srv.TestScript(ctx, admin, api.ScriptTestRequest{Node: "n1", Script: static(`return node.facts.rack == args[1]`, "7")})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verdict.Selected || res.Facts["name"] != "n1" || res.Digest == "" {
		t.Fatalf("script test: %+v", res)
	}
	res, err = srv.TestScript(ctx, admin, api.ScriptTestRequest{Node: "n1", Script: static(`error("no way")`)})
	if err != nil || res.Verdict.Selected || !strings.Contains(res.Verdict.Reason, "no way") {
		t.Fatalf("script test of a failing script: %+v (%v)", res, err)
	}
	if _, err := srv.TestScript(ctx, admin, api.ScriptTestRequest{Node: "n1", Script: static(`return (`)}); !api.IsCode(err, api.CodeInvalid) {
		t.Fatalf("script test of a script that does not compile: %v", err)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestDynamicSelection: dynamic scripts run on the nodes themselves with
// host probes; the node that says yes gets the task; a node that says no
// (or fails) is skipped for the back-off, not asked again meanwhile; and
// explain --node asks the node live.
func TestDynamicSelection(t *testing.T) {
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	dir := t.TempDir()
	marker := filepath.Join(dir, "licence")
	if err := os.WriteFile(marker, []byte("d2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	startNodeWith(t, srv, "d1", func(*node.Config) {})                                // no commands allowed
	startNodeWith(t, srv, "d2", func(c *node.Config) { c.AllowProbeCommands = true }) // commands allowed
	waitReady(t, srv, "d1", "d2")

	probe := api.SelectionScript{Type: api.SelectionDynamic, Args: []string{marker},
		Lua: `if not host.file_exists(args[1]) then return false end
local code, out = host.run("cat " .. args[1], 2)
return code == 0 and out == node.name`}
	resp, err := srv.SubmitJob(ctx, admin, api.JobSpec{Name: "dyn", Tasks: []api.TaskSpec{selTask("t", probe)}})
	if err != nil {
		t.Fatal(err)
	}
	job := waitJobDone(t, srv, admin, resp.ID)
	if tk := job.Tasks[0]; tk.State != api.TaskFinished || tk.Node != "d2" {
		t.Fatalf("task %+v, want FINISHED on d2", tk)
	}

	// A script that says no everywhere, and counts how often it is asked.
	asked := filepath.Join(dir, "asked")
	never := api.SelectionScript{Type: api.SelectionDynamic, Args: []string{asked},
		Lua: `host.run("echo x >> " .. args[1], 2); return false`}
	resp2, err := srv.SubmitJob(ctx, admin, api.JobSpec{Name: "never", Tasks: []api.TaskSpec{selTask("t", never)}})
	if err != nil {
		t.Fatal(err)
	}
	var ex api.JobExplain
	defer func() {
		if t.Failed() {
			t.Logf("last explain: %+v", ex)
		}
	}()
	waitUntil(t, 20*time.Second, "both nodes said no", func() bool {
		ex, err = srv.ExplainJob(ctx, admin, resp2.ID, "")
		if err != nil || len(ex.Tasks) != 1 {
			return false
		}
		got := map[string]int{}
		for _, r := range ex.Tasks[0].Reasons {
			got[r.Message] = r.Count
		}
		return got["selection[0] returned false"] == 1 && len(ex.Tasks[0].Reasons) == 2
	})
	if !strings.Contains(ex.Tasks[0].Reasons[0].Message+ex.Tasks[0].Reasons[1].Message, "not allowed") {
		t.Errorf("d1's reason does not say commands are not allowed: %+v", ex.Tasks[0].Reasons)
	}
	time.Sleep(time.Second) // several scheduling cycles
	data, _ := os.ReadFile(asked)
	if n := strings.Count(string(data), "x"); n != 1 {
		t.Errorf("d2 was asked %d times within its back-off, want once", n)
	}
	ex, err = srv.ExplainJob(ctx, admin, resp2.ID, "d2")
	if err != nil {
		t.Fatal(err)
	}
	nv := ex.Tasks[0].Node
	if nv == nil || nv.Fits || len(nv.Scripts) != 1 || nv.Scripts[0].Selected || nv.Scripts[0].Type != api.SelectionDynamic {
		t.Fatalf("explain --node d2: %+v", nv)
	}
	_ = srv.KillJob(ctx, admin, resp2.ID)

	// script test of a dynamic script runs it on the node.
	res, err := srv.TestScript(ctx, admin, api.ScriptTestRequest{Node: "d1", Script: api.SelectionScript{
		Type: api.SelectionDynamic, Lua: `return host.file_exists(args[1]) and host.env("SHRIKE_NODE_TOKEN") == nil`, Args: []string{marker}}})
	if err != nil || !res.Verdict.Selected || res.Verdict.Type != api.SelectionDynamic {
		t.Fatalf("script test of a dynamic script on d1: %+v (%v)", res, err)
	}
}
