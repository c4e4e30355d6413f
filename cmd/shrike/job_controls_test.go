package main

import (
	"strings"
	"testing"
)

func TestJobControls(t *testing.T) {
	c := newCLI(t)
	c.submitAsAlice("p")
	if out := c.mustRun("job", "pause", "1"); out != "Job 1 is PAUSED.\n" {
		t.Errorf("pause said %q", out)
	}
	if code, _, errOut := c.run("job", "pause", "1"); code != exitErr || !strings.Contains(errOut, "already paused") {
		t.Errorf("second pause: exit %d, stderr %q", code, errOut)
	}
	if out := c.mustRun("job", "resume", "1"); out != "Job 1 is PENDING.\n" {
		t.Errorf("resume said %q", out)
	}
	if out := c.mustRun("job", "task", "kill", "1", "say", "--reason", "no need"); out != "Task say is KILLED; job 1 is KILLED.\n" {
		t.Errorf("task kill said %q", out)
	}
	if out := c.mustRun("job", "task", "restart", "1", "say"); out != "Task say is PENDING; job 1 is PENDING.\n" {
		t.Errorf("task restart said %q", out)
	}
	if code, _, errOut := c.run("job", "restart", "1"); code != exitErr || !strings.Contains(errOut, "no failed task") {
		t.Errorf("restart without failures: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := c.run("job", "task", "kill", "1", "nope"); code != exitErr || !strings.Contains(errOut, `no task "nope"`) {
		t.Errorf("unknown task: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := c.run("job", "task", "kill", "1"); code != exitUsage {
		t.Errorf("missing task: exit %d, want %d", code, exitUsage)
	}
}
