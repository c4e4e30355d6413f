package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestJobLs(t *testing.T) {
	c := newCLI(t)
	c.submitAsAlice("first")
	c.submitAsAlice("second")
	out := c.mustRun("job", "ls")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "second") ||
		!strings.Contains(lines[2], "PENDING") {
		t.Errorf("table:\n%s", out)
	}
}

func TestJobLsJSON(t *testing.T) {
	c := newCLI(t)
	for range 3 {
		c.submitAsAlice("j")
	}
	out := c.mustRun("job", "ls", "--json", "--state", "pending,RUNNING", "--limit", "2", "--offset", "1")
	var list api.JobList
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if list.Total != 3 || len(list.Jobs) != 2 || list.Jobs[0].ID != 2 {
		t.Errorf("list = %+v", list)
	}
	q := c.fake.LastQuery()
	if len(q.States) != 2 || q.States[0] != api.JobPending || q.Limit != 2 || q.Offset != 1 {
		t.Errorf("query = %+v", q)
	}
	if code, _, _ := c.run("job", "ls", "--state", "DONE"); code != exitUsage {
		t.Errorf("unknown state: exit %d, want %d", code, exitUsage)
	}
}

func TestJobShow(t *testing.T) {
	c := newCLI(t)
	id := c.submitAsAlice("shown")
	c.fake.ScriptStates(id, api.JobRunning)
	out := c.mustRun("job", "show", "1")
	for _, want := range []string{"Name:", "shown", "State:", "RUNNING", "TASK", "say"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	var job api.Job
	if err := json.Unmarshal([]byte(c.mustRun("job", "show", "--json", "1")), &job); err != nil || job.Name != "shown" {
		t.Errorf("show --json = %+v, %v", job, err)
	}
}

func TestJobLogs(t *testing.T) {
	c := newCLI(t)
	id := c.submitAsAlice("l")
	c.fake.AppendLog(id, "say", "hello\n")
	if out := c.mustRun("job", "logs", "1", "say"); out != "hello\n" {
		t.Errorf("logs = %q", out)
	}
	c.fake.AppendLog(id, "say", "bye\n")
	c.fake.EndLog(id, "say")
	if out := c.mustRun("job", "logs", "-f", "1", "say"); out != "hello\nbye\n" {
		t.Errorf("logs -f = %q", out)
	}
	if code, _, errOut := c.run("job", "logs", "1", "nope"); code != exitErr || !strings.Contains(errOut, "no task") {
		t.Errorf("unknown task: exit %d, stderr %q", code, errOut)
	}
}

func TestJobKill(t *testing.T) {
	c := newCLI(t)
	c.submitAsAlice("k")
	if out := c.mustRun("job", "kill", "1"); out != "Job 1 is KILLED.\n" {
		t.Errorf("kill said %q", out)
	}
	if code, _, errOut := c.run("job", "kill", "1"); code != exitErr || !strings.Contains(errOut, "already KILLED") {
		t.Errorf("second kill: exit %d, stderr %q", code, errOut)
	}
}
