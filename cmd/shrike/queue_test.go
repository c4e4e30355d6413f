package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestQueueCommands(t *testing.T) {
	c := newCLI(t)
	c.fake.SetQueues([]api.Queue{
		{Name: "default", Weight: 1, Policy: "fifo", Pending: 3, Running: 1, RunningCPUs: 2, Usage: 7200,
			Users: []api.QueueUser{{Name: "alice", Pending: 1, Running: 1, RunningCPUs: 2, Usage: 5400, Share: 0.75}, {Name: "bob", Pending: 2, Usage: 1800, Share: 0.25}}},
		{Name: "short", Weight: 2, Policy: "backfill", Preemption: true, MaxRunning: 4, MaxCPUsPerUser: 8},
	})
	out := c.mustRun("queue", "ls")
	for _, want := range []string{"NAME", "default", "fifo", "2.00", "short", "backfill+preemption"} {
		if !strings.Contains(out, want) {
			t.Errorf("queue ls lacks %q:\n%s", want, out)
		}
	}
	var qs []api.Queue
	if err := json.Unmarshal([]byte(c.mustRun("queue", "ls", "--json")), &qs); err != nil || len(qs) != 2 {
		t.Fatalf("queue ls --json: %v, %+v", err, qs)
	}
	out = c.mustRun("queue", "show", "default")
	for _, want := range []string{"queue:       default", "3 pending, 1 running on 2 CPUs", "alice", "75.0%", "1.50"} {
		if !strings.Contains(out, want) {
			t.Errorf("queue show lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "bob") {
		t.Errorf("alice sees bob's line:\n%s", out)
	}
	if out := c.mustRun("queue", "show", "short"); !strings.Contains(out, "max_running 4") || !strings.Contains(out, "max_cpus_per_user 8") {
		t.Errorf("queue show short:\n%s", out)
	}
	if out := c.mustRun("admin", "scheduler", "stats", "--user", "alice"); !strings.Contains(out, "fair-share usage of alice (CPU-hours): default 1.50") {
		t.Errorf("scheduler stats without alice's usage:\n%s", out)
	}
	if code, _, errOut := c.run("queue", "show", "long"); code != exitErr || !strings.Contains(errOut, "not found") {
		t.Errorf("unknown queue: exit %d, %q", code, errOut)
	}
	if code, _, _ := c.run("queue", "show"); code != exitUsage {
		t.Errorf("queue show without a name: exit %d, want %d", code, exitUsage)
	}
}

func TestJobSubmitQueue(t *testing.T) {
	c := newCLI(t)
	c.fake.SetQueues([]api.Queue{{Name: "default"}, {Name: "short"}})
	file := filepath.Join(t.TempDir(), "job.yaml")
	if err := os.WriteFile(file, []byte("name: j\nqueue: default\ntasks:\n  - name: t\n    script: run\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.mustRun("job", "submit", file, "--queue", "short")
	if got := c.fake.Submitted(); len(got) != 1 || got[0].Queue != "short" {
		t.Fatalf("submitted %+v, want queue short", got)
	}
	if out := c.mustRun("job", "show", "1"); !strings.Contains(out, "Queue:") || !strings.Contains(out, "short") {
		t.Errorf("job show does not print the queue:\n%s", out)
	}
	code, _, errOut := c.run("job", "submit", file, "--queue", "long")
	if code != exitErr || !strings.Contains(errOut, "queue") || !strings.Contains(errOut, "unknown queue") {
		t.Errorf("unknown queue: exit %d, stderr %q", code, errOut)
	}
}
