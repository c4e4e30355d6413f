package main

import (
	"strings"
	"testing"
)

// TestJobPriority: alice may lower her job and raise it up to normal, not
// above; an admin may set any level; a bad level is a usage error; the
// new level shows in job show.
func TestJobPriority(t *testing.T) {
	c := newCLI(t)
	c.submitAsAlice("p")
	if out := c.mustRun("job", "priority", "1", "low"); out != "Job 1 (PENDING) now has priority low.\n" {
		t.Errorf("priority said %q", out)
	}
	if code, _, errOut := c.run("job", "priority", "1", "high"); code != exitErr || !strings.Contains(errOut, "priority: high is above your maximum, normal") {
		t.Errorf("alice raising to high: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := c.run("job", "priority", "1", "urgent"); code != exitUsage || !strings.Contains(errOut, `unknown priority "urgent"`) {
		t.Errorf("unknown level: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := c.run("job", "priority", "1"); code != exitUsage {
		t.Errorf("no level: exit %d, want usage", code)
	}
	c.vars[envToken] = c.adminTok
	out := c.mustRun("job", "priority", "1", "HIGHEST", "--json")
	if !strings.Contains(out, `"priority": "highest"`) {
		t.Errorf("--json: %s", out)
	}
	if out := c.mustRun("job", "show", "1"); !strings.Contains(out, "highest") {
		t.Errorf("job show after the change:\n%s", out)
	}
}
