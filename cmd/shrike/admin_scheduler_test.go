package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestAdminScheduler(t *testing.T) {
	c := newCLI(t)
	if out := c.mustRun("admin", "scheduler"); !strings.Contains(out, "STARTED") {
		t.Errorf("show = %q, want STARTED", out)
	}
	if code, _, errOut := c.run("admin", "scheduler", "pause"); code != exitErr || !strings.Contains(errOut, "admin") {
		t.Errorf("pause as alice: exit %d, stderr %q; want a refusal", code, errOut)
	}
	if code, _, _ := c.run("admin", "scheduler", "doze"); code != exitUsage {
		t.Errorf("unknown verb: exit %d, want %d", code, exitUsage)
	}
	c.vars[envToken] = c.adminTok
	if out := c.mustRun("admin", "scheduler", "pause"); !strings.Contains(out, "PAUSED") || !strings.Contains(out, "by root") {
		t.Errorf("pause = %q", out)
	}
	id := c.submitAsAlice("victim")
	if out := c.mustRun("admin", "scheduler", "kill"); !strings.Contains(out, "STOPPED") || !strings.Contains(out, "killed 1 jobs") {
		t.Errorf("kill = %q", out)
	}
	var st api.SchedulerStatus
	if err := json.Unmarshal([]byte(c.mustRun("admin", "scheduler", "--json")), &st); err != nil || st.State != api.SchedulerStopped {
		t.Errorf("show --json = %+v, %v", st, err)
	}
	if job, err := c.fake.GetJob(context.Background(), rest.Principal{Name: "root", Role: api.RoleAdmin}, id); err != nil || job.State != api.JobKilled {
		t.Errorf("job after kill = %s, %v; want KILLED", job.State, err)
	}
	c.mustRun("admin", "scheduler", "resume")
	c.submitAsAlice("after")
	out := c.mustRun("admin", "scheduler", "stats", "--user", "alice")
	if !strings.Contains(out, "STARTED") || !strings.Contains(out, "alice") || !strings.Contains(out, "nodes:") {
		t.Errorf("stats = %q", out)
	}
	var stats api.SchedulerStats
	if err := json.Unmarshal([]byte(c.mustRun("admin", "scheduler", "stats", "--json", "--user", "alice")), &stats); err != nil ||
		stats.User == nil || stats.User.Jobs[api.JobPending] != 1 {
		t.Errorf("stats --json = %+v, %v", stats, err)
	}
}
