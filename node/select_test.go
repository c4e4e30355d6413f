package node

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// selectAgent starts an agent named name, with host.run allowed or not,
// and returns the fake server and the agent's config.
func selectAgent(t *testing.T, name string, allowCommands bool) (*fakeServer, Config) {
	t.Helper()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), name)
	cfg.Facts = map[string]string{"rack": "7"}
	cfg.AllowProbeCommands = allowCommands
	startAgent(t, cfg)
	waitRegistered(t, fs, 1)
	return fs, cfg
}

func selectCommand(scripts ...api.DynamicScript) api.Command {
	return api.Command{Select: &api.SelectRequest{Scripts: scripts}}
}

func TestSelectVerdicts(t *testing.T) {
	fs, cfg := selectAgent(t, "sel", false)
	dyn := func(src string) api.DynamicScript {
		return api.DynamicScript{Label: "probe.lua", Source: src, Args: []string{cfg.WorkDir}, Vars: map[string]string{"NEED": "7"}}
	}
	tests := map[string]struct {
		script   api.DynamicScript
		selected bool
		reason   string
	}{
		"selected":        {dyn(`return node.name == "sel" and node.cpus == 3 and sel.has_tag("test") and node.facts.rack == vars.NEED and host.dir_exists(args[1])`), true, ""},
		"fresh resources": {dyn(`return node.mem_free > 0 and node.disk_free > 0 and host.mem_free() > 0 and host.disk_free() > 0`), true, ""},
		"false":           {dyn(`return host.file_exists(args[1] .. "/no-such-file")`), false, "returned false"},
		"error":           {dyn(`error("no scratch disk")`), false, "probe.lua:1: no scratch disk"},
		"compile error":   {dyn(`return (`), false, "probe.lua:1:"},
		"bad result":      {dyn(`return 42`), false, "returned a number"},
		"timeout": {api.DynamicScript{Label: "spin.lua", Source: `while true do end`, Timeout: api.Duration(200 * time.Millisecond)},
			false, "spin.lua:1: time budget of 200ms exceeded"},
		"run refused": {dyn(`return host.run("true") == 0`), false,
			"host.run: running commands is not allowed on this node (start the agent with --allow-probe-commands)"},
		"no label": {api.DynamicScript{Source: `error("x")`}, false, "selection[0]:1: x"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			reply := fs.command(t, "sel", selectCommand(tt.script))
			if reply.Error != nil || len(reply.Verdicts) != 1 {
				t.Fatalf("reply %+v, want one verdict", reply)
			}
			v := reply.Verdicts[0]
			label := tt.script.Label
			if label == "" {
				label = "selection[0]"
			}
			if v.Selected != tt.selected || !strings.Contains(v.Reason, tt.reason) || v.Type != api.SelectionDynamic || v.Script != label {
				t.Fatalf("verdict %+v, want selected=%v, reason with %q", v, tt.selected, tt.reason)
			}
		})
	}
}

// The scripts of a request run in order and stop at the first no.
func TestSelectStopsAtFirstNo(t *testing.T) {
	fs, _ := selectAgent(t, "selorder", false)
	reply := fs.command(t, "selorder", selectCommand(
		api.DynamicScript{Label: "a.lua", Source: `return true`},
		api.DynamicScript{Label: "b.lua", Source: `return false`},
		api.DynamicScript{Label: "c.lua", Source: `return true`},
	))
	want := []api.ScriptVerdict{
		{Script: "a.lua", Type: api.SelectionDynamic, Selected: true},
		{Script: "b.lua", Type: api.SelectionDynamic, Reason: "returned false"},
		{Script: "c.lua", Type: api.SelectionDynamic, Reason: notEvaluated},
	}
	if reply.Error != nil || len(reply.Verdicts) != len(want) {
		t.Fatalf("reply %+v, want %d verdicts", reply, len(want))
	}
	for i, v := range reply.Verdicts {
		if v.Script != want[i].Script || v.Selected != want[i].Selected || v.Reason != want[i].Reason || v.Type != want[i].Type {
			t.Errorf("verdict %d = %+v, want %+v", i, v, want[i])
		}
	}

	if reply := fs.command(t, "selorder", selectCommand()); reply.Error != nil || len(reply.Verdicts) != 0 {
		t.Errorf("no scripts: reply %+v, want no verdicts", reply)
	}
	many := make([]api.DynamicScript, maxSelectScripts+1)
	reply = fs.command(t, "selorder", selectCommand(many...))
	if reply.Error == nil || reply.Error.Code != api.CodeInvalid || len(reply.Error.Errors) != 1 || reply.Error.Errors[0].Field != "select.scripts" {
		t.Errorf("too many scripts: reply %+v, want invalid select.scripts", reply)
	}
	both := selectCommand(api.DynamicScript{Source: `return true`})
	both.Kill = &api.KillRequest{}
	if reply := fs.command(t, "selorder", both); reply.Error == nil || reply.Error.Code != api.CodeBadRequest {
		t.Errorf("select and kill: reply %+v, want bad request", reply)
	}
}

// With --allow-probe-commands, host.run runs commands in the work
// directory, with the tasks' environment (no secrets).
func TestSelectRunAllowed(t *testing.T) {
	t.Setenv("SHRIKE_NODE_TOKEN", "enroll-secret")
	fs, cfg := selectAgent(t, "selrun", true)
	reply := fs.command(t, "selrun", selectCommand(api.DynamicScript{
		Label:  "run.lua",
		Source: `local code, dir = host.run("pwd"); local _, secret = host.run("echo $SHRIKE_NODE_TOKEN"); return code == 0 and dir == args[1] and secret == "" and host.env("SHRIKE_NODE_TOKEN") == nil`,
		Args:   []string{cfg.WorkDir},
	}))
	if reply.Error != nil || len(reply.Verdicts) != 1 || !reply.Verdicts[0].Selected {
		t.Fatalf("reply %+v, want selected", reply)
	}
}

// A slow script holds up no other command.
func TestSelectRunsAside(t *testing.T) {
	fs, cfg := selectAgent(t, "selaside", true)
	started := filepath.Join(cfg.WorkDir, "started")
	gate := filepath.Join(cfg.WorkDir, "gate")
	data, _ := json.Marshal(selectCommand(api.DynamicScript{
		Label:   "wait.lua",
		Source:  `return host.run({"sh", "-c", "touch '` + started + `'; while [ ! -e '` + gate + `' ]; do sleep 0.01; done"}) == 0`,
		Timeout: api.Duration(time.Minute),
	}))
	replies := make(chan api.CommandReply, 1)
	go func() {
		var r api.CommandReply
		if msg, err := fs.nc.Request(api.SubjectCommand("selaside"), data, testWait); err == nil {
			_ = json.Unmarshal(msg.Data, &r)
		}
		replies <- r
	}()
	waitFor(t, "wait.lua to start", func() bool { _, err := os.Stat(started); return err == nil })
	// Answered while wait.lua waits for the gate.
	if reply := fs.command(t, "selaside", api.Command{Kill: &api.KillRequest{Tasks: []api.TaskRef{{TaskID: 1, Attempt: 1}}}}); reply.Error != nil {
		t.Fatalf("kill during a select: %+v", reply)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := <-replies; len(r.Verdicts) != 1 || !r.Verdicts[0].Selected {
		t.Fatalf("select reply %+v, want selected once the gate opened", r)
	}
}

// Stopping the agent kills the commands its scripts still run.
func TestSelectStoppedWithTheAgent(t *testing.T) {
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "selstop")
	cfg.AllowProbeCommands = true
	ra := startAgent(t, cfg)
	waitRegistered(t, fs, 1)
	pidFile := filepath.Join(cfg.WorkDir, "pid")
	data, _ := json.Marshal(selectCommand(api.DynamicScript{
		Label:   "sleep.lua",
		Source:  `host.run("echo $$ > ` + pidFile + `; exec sleep 60")`,
		Timeout: api.Duration(time.Minute),
	}))
	if err := fs.nc.PublishRequest(api.SubjectCommand("selstop"), "_INBOX.ignored", data); err != nil {
		t.Fatal(err)
	}
	var pid int
	waitFor(t, "the script's command", func() bool {
		b, err := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	})
	if err := ra.stop(t); err != nil {
		t.Fatalf("agent stopped with %v", err)
	}
	waitFor(t, "the command to be killed", func() bool { return !groupAlive(pid) })
}

func TestSelectTimeout(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		0:                DefaultSelectTimeout,
		-time.Second:     DefaultSelectTimeout,
		2 * time.Second:  2 * time.Second,
		10 * time.Minute: MaxSelectTimeout,
	} {
		if got := selectTimeout(in); got != want {
			t.Errorf("selectTimeout(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestScriptLRU(t *testing.T) {
	c := newScriptLRU(2)
	a1, err := c.compile("a.lua", "return true")
	if err != nil {
		t.Fatal(err)
	}
	if a2, _ := c.compile("a.lua", "return true"); a2 != a1 {
		t.Error("the same script compiled twice")
	}
	if other, _ := c.compile("b.lua", "return true"); other == a1 {
		t.Error("another label shares the compiled script: its errors would name a.lua")
	}
	if _, err := c.compile("bad.lua", "return ("); err == nil {
		t.Error("compile error not reported")
	}
	if c.len() != 2 {
		t.Errorf("%d cached, want 2 (errors are not cached)", c.len())
	}
	if _, err := c.compile("c.lua", "return false"); err != nil { // evicts a.lua, the least recently used
		t.Fatal(err)
	}
	if a3, _ := c.compile("a.lua", "return true"); a3 == a1 {
		t.Error("a.lua was not evicted")
	}
	if c.len() != 2 {
		t.Errorf("%d cached, want at most 2", c.len())
	}
}
