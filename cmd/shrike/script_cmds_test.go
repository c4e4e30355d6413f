package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scripts"
)

func TestScriptTestLocalFile(t *testing.T) {
	c := newCLI(t)
	gpuNodes(c)
	c.asAdmin()
	file := writeFile(t, "check.lua", "return node.cpus >= tonumber(args[1]) and vars.team == 'ml'\n")
	out := c.mustRun("script", "test", file, "--node", "gpu1", "--arg", "8", "--var", "team=ml")
	for _, want := range []string{
		"Script:    selection[0] (static)\n", "Node:      gpu1\n", "Verdict:   selected\n", "Duration:  ", "Digest:    ",
		"\nFacts the script saw:\n",
		"  arch: amd64\n  cpus: 8\n",
		"  gpus.count: 1\n  gpus.models: [NVIDIA A100-SXM4-80GB]\n  hostname: \"\"\n",
		"  name: gpu1\n  os: linux\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Reason:") {
		t.Errorf("a selected verdict has a reason:\n%s", out)
	}
}

func TestScriptTestLibraryScript(t *testing.T) {
	c := newCLI(t)
	gpuNodes(c)
	c.asAdmin()
	t.Chdir(t.TempDir()) // no local gpu.lua
	out := c.mustRun("script", "test", "gpu", "--node", "cpu1")
	for _, want := range []string{"Script:    gpu.lua (static)\n", "Verdict:   not selected\n", "Reason:    returned false\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	out = c.mustRun("script", "test", "gpu.lua", "--node", "gpu1", "--arg", "A100", "--type", "dynamic", "--json")
	var res api.ScriptTestResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if res.Node != "gpu1" || !res.Verdict.Selected || res.Verdict.Type != api.SelectionDynamic || res.Verdict.Script != "gpu.lua" {
		t.Errorf("--json = %+v", res)
	}
}

func TestScriptTestScriptError(t *testing.T) {
	c := newCLI(t)
	gpuNodes(c)
	c.asAdmin()
	file := writeFile(t, "bad.lua", "local x = nil\nreturn x.y\n")
	out := c.mustRun("script", "test", file, "--node", "cpu1")
	if !strings.Contains(out, "Verdict:   not selected\n") || !strings.Contains(out, "Reason:    selection[0]:2:") {
		t.Errorf("stdout:\n%s\nwant the error with its line", out)
	}
}

func TestScriptTestRefused(t *testing.T) {
	c := newCLI(t)
	gpuNodes(c)
	file := writeFile(t, "ok.lua", "return true\n")
	if code, _, errOut := c.run("script", "test", file, "--node", "cpu1"); code != exitErr || !strings.Contains(errOut, "only admins") {
		t.Errorf("as a user: exit %d, stderr %q", code, errOut)
	}
	c.asAdmin()
	if code, _, errOut := c.run("script", "test", file, "--node", "nope"); code != exitErr || !strings.Contains(errOut, "node nope not found") {
		t.Errorf("unknown node: exit %d, stderr %q", code, errOut)
	}
	syntax := writeFile(t, "syntax.lua", "return (\n")
	if code, _, errOut := c.run("script", "test", syntax, "--node", "cpu1"); code != exitErr || !strings.Contains(errOut, "script.lua: ") {
		t.Errorf("syntax error: exit %d, stderr %q", code, errOut)
	}
	t.Chdir(t.TempDir())
	if code, _, errOut := c.run("script", "test", "nope.lua", "--node", "cpu1"); code != exitErr ||
		!strings.Contains(errOut, "no shipped script of that name") {
		t.Errorf("unknown script: exit %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{
		{"script", "test", "gpu.lua"},
		{"script", "test", "--node", "cpu1"},
		{"script", "test", "gpu.lua", "--node", "cpu1", "--type", "sometimes"},
		{"script", "test", "gpu.lua", "--node", "no such node"},
		{"script", "test", "gpu.lua", "--node", "cpu1", "--var", "novalue"},
		{"script", "bogus"},
	} {
		if code, _, _ := c.run(args...); code != exitUsage {
			t.Errorf("shrike %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestScriptLs(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("script", "ls")
	if !strings.HasPrefix(out, "SCRIPT ") {
		t.Errorf("stdout %q, want a table", out)
	}
	for _, want := range []string{"gpu.lua ", "the node has a GPU.", "linux.lua ", "the node runs Linux."} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	var list []libraryScript
	if err := json.Unmarshal([]byte(c.mustRun("script", "ls", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != len(scripts.LibraryNames()) {
		t.Fatalf("--json lists %d scripts, want %d", len(list), len(scripts.LibraryNames()))
	}
	for _, s := range list {
		if s.Description == "" || s.Arguments == "" {
			t.Errorf("%s: description %q, arguments %q; want both from its header", s.Name, s.Description, s.Arguments)
		}
	}
}

func TestScriptHeader(t *testing.T) {
	tests := []struct{ name, src, desc, args string }{
		{"gpu.lua", "-- gpu.lua: the node has a GPU.\n-- Arguments (optional): a model,\n-- then a count.\nreturn true\n",
			"the node has a GPU.", "(optional): a model, then a count."},
		{"linux.lua", "-- linux.lua: the node runs Linux.\n-- Arguments: none.\nreturn true\n", "the node runs Linux.", "none."},
		{"bare.lua", "return true\n", "", ""},
		{"other.lua", "-- checks the rack\nreturn true\n", "checks the rack", ""},
	}
	for _, tc := range tests {
		if desc, args := scriptHeader(tc.name, tc.src); desc != tc.desc || args != tc.args {
			t.Errorf("scriptHeader(%s) = %q, %q; want %q, %q", tc.name, desc, args, tc.desc, tc.args)
		}
	}
}

func TestScriptShow(t *testing.T) {
	c := newCLI(t)
	want, _ := scripts.Library("gpu.lua")
	if out := c.mustRun("script", "show", "gpu"); out != want {
		t.Errorf("stdout %q, want the source of gpu.lua", out)
	}
	if code, _, errOut := c.run("script", "show", "nope"); code != exitErr || !strings.Contains(errOut, "gpu.lua") {
		t.Errorf("unknown script: exit %d, stderr %q", code, errOut)
	}
}

func TestSelectionCommandsHelp(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"job", "explain", "-h"}, {"script", "test", "-h"}, {"script", "ls", "-h"}, {"script", "show", "-h"},
	} {
		code, out, errOut := c.run(args...)
		if code != exitOK || out != "" || !strings.Contains(errOut, "\nExample:\n  ") {
			t.Errorf("shrike %v: exit %d, stdout %q, help %q", args, code, out, errOut)
		}
	}
	if code, _, errOut := c.run("script", "-h"); code != exitOK || !strings.Contains(errOut, "test ") || !strings.Contains(errOut, "ls ") {
		t.Errorf("shrike script -h: exit %d, %q", code, errOut)
	}
}
