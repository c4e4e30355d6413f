package main

import (
	"strings"
	"testing"
)

// TestJobResult: all results as JSON, one task's (pretty, or --raw with a
// string unquoted), a task without a result is an error naming it, and
// bad arguments are usage errors.
func TestJobResult(t *testing.T) {
	c := newCLI(t)
	id := c.submitAsAlice("r")
	if out := c.mustRun("job", "result", "1"); out != "{}\n" {
		t.Errorf("no results yet: %q", out)
	}
	c.fake.SetResult(id, "say", `{"files": ["a", "b"], "n": 2}`)
	want := "{\n  \"say\": {\n    \"files\": [\n      \"a\",\n      \"b\"\n    ],\n    \"n\": 2\n  }\n}\n"
	if out := c.mustRun("job", "result", "1"); out != want {
		t.Errorf("job result 1:\n%s\nwant\n%s", out, want)
	}
	if out := c.mustRun("job", "result", "1", "--raw"); out != `{"say":{"files":["a","b"],"n":2}}`+"\n" {
		t.Errorf("--raw: %q", out)
	}
	if out := c.mustRun("job", "result", "1", "say", "--raw"); out != `{"files":["a","b"],"n":2}`+"\n" {
		t.Errorf("say --raw: %q", out)
	}
	// One task's result is printed as the task wrote it: key order and
	// integers past float64's precision kept.
	c.fake.SetResult(id, "say", `{"z": 1, "a": 12345678901234567891}`)
	if out := c.mustRun("job", "result", "1", "say"); out != "{\n  \"z\": 1,\n  \"a\": 12345678901234567891\n}\n" {
		t.Errorf("say: %q", out)
	}
	c.fake.SetResult(id, "say", `"done"`)
	if out := c.mustRun("job", "result", "1", "say"); out != "\"done\"\n" {
		t.Errorf("say: %q", out)
	}
	if out := c.mustRun("job", "result", "--raw", "1", "say"); out != "done\n" {
		t.Errorf("say --raw: %q", out)
	}
	if out := c.mustRun("job", "show", "1"); !strings.Contains(out, "\nResults: say (shrike job result 1)\n") {
		t.Errorf("job show does not name the result:\n%s", out)
	}
	if out := c.mustRun("job", "show", "1", "--json"); !strings.Contains(out, `"has_result": true`) {
		t.Errorf("job show --json has no has_result:\n%s", out)
	}
	if code, _, errOut := c.run("job", "result", "1", "nope"); code != exitErr || !strings.Contains(errOut, `job 1 has no task "nope"`) {
		t.Errorf("unknown task: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := c.run("job", "result"); code != exitUsage {
		t.Errorf("no ID: exit %d, want usage", code)
	}
	if code, _, _ := c.run("job", "result", "1", "a", "b"); code != exitUsage {
		t.Errorf("three arguments: exit %d, want usage", code)
	}
	if code, _, errOut := c.run("job", "result", "9"); code != exitErr || !strings.Contains(errOut, "job 9 not found") {
		t.Errorf("unknown job: exit %d, stderr %q", code, errOut)
	}
}

// TestJobServerLogs: text lines with task#attempt, --json.
func TestJobServerLogs(t *testing.T) {
	c := newCLI(t)
	id := c.submitAsAlice("s")
	if out := c.mustRun("job", "server-logs", "1"); out != "" {
		t.Errorf("no lines yet: %q", out)
	}
	c.fake.AddServerLog(id, "", 0, "submitted by alice: 1 task, queue default, priority normal")
	c.fake.AddServerLog(id, "say", 1, "placed on node n1 (attempt 1)")
	out := c.mustRun("job", "server-logs", "1")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "  submitted by alice: 1 task, queue default, priority normal") ||
		!strings.HasSuffix(lines[1], " say#1  placed on node n1 (attempt 1)") {
		t.Errorf("server-logs:\n%s", out)
	}
	out = c.mustRun("job", "server-logs", "1", "--json")
	if !strings.Contains(out, `"message": "placed on node n1 (attempt 1)"`) || !strings.Contains(out, `"attempt": 1`) {
		t.Errorf("--json:\n%s", out)
	}
	if code, _, errOut := c.run("job", "server-logs", "7"); code != exitErr || !strings.Contains(errOut, "job 7 not found") {
		t.Errorf("unknown job: exit %d, stderr %q", code, errOut)
	}
}
