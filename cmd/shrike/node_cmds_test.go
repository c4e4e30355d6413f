package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// threeNodes gives the fake w1 FREE, w2 BUSY running one task, and w3
// DOWN, locked and draining.
func (c *cli) threeNodes() {
	c.fake.SetNodes(
		api.Node{Name: "w1", State: api.NodeFree, Hostname: "host1", OS: "linux", Arch: "amd64", CPUs: 8, Slots: 8,
			Memory: 16 << 30, Tags: []string{"gpu", "fast"}, Version: "0.9"},
		api.Node{Name: "w2", State: api.NodeBusy, CPUs: 4, Slots: 1, UsedCPU: 4,
			RunningTasks: []api.TaskRef{{TaskID: 7, Attempt: 2, JobID: 3, Task: "build"}}},
		api.Node{Name: "w3", State: api.NodeDown, CPUs: 2, Slots: 2, Draining: true,
			Locked: &api.NodeLock{By: "root", Reason: "fan"}},
	)
}

// tableRow returns the row of a table whose first cell is name.
func tableRow(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, name+" ") {
			return line
		}
	}
	return ""
}

func TestNodeLsFilters(t *testing.T) {
	c := newCLI(t)
	c.threeNodes()
	out := c.mustRun("node", "ls")
	if !strings.Contains(out, "LOCK/DRAIN") || !strings.Contains(tableRow(out, "w3"), "locked,draining") ||
		!strings.Contains(tableRow(out, "w1"), " - ") {
		t.Errorf("table:\n%s", out)
	}
	tests := map[string]struct {
		args []string
		want []string
	}{
		"state":      {[]string{"--state", "free,DOWN"}, []string{"w1", "w3"}},
		"locked":     {[]string{"--locked"}, []string{"w3"}},
		"not locked": {[]string{"--locked=false"}, []string{"w1", "w2"}},
		"both":       {[]string{"--state", "BUSY", "--locked"}, []string{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var nodes []api.Node
			out := c.mustRun(append([]string{"node", "ls", "--json"}, tc.args...)...)
			if err := json.Unmarshal([]byte(out), &nodes); err != nil {
				t.Fatalf("stdout %q: %v", out, err)
			}
			got := []string{}
			for _, n := range nodes {
				got = append(got, n.Name)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("nodes = %v, want %v", got, tc.want)
			}
		})
	}
	for _, args := range [][]string{{"--state", "IDLE"}, {"--locked=maybe"}} {
		if code, _, _ := c.run(append([]string{"node", "ls"}, args...)...); code != exitUsage {
			t.Errorf("node ls %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestNodeShow(t *testing.T) {
	c := newCLI(t)
	c.threeNodes()
	alice := c.vars[envToken]
	c.vars[envToken] = c.adminTok
	c.mustRun("node", "lock", "w2", "--reason", "disk swap")
	c.vars[envToken] = alice
	out := c.mustRun("node", "show", "w1")
	for _, want := range []string{"Name:", "w1", "Host:", "host1", "OS/Arch:", "linux/amd64", "Tags:", "gpu, fast",
		"Version:", "0.9", "Lock:", "Draining:", "no", "Running tasks: none", "History:", "TIME", "EVENT", "registered"} {
		if !strings.Contains(out, want) {
			t.Errorf("show w1 lacks %q:\n%s", want, out)
		}
	}
	out = c.mustRun("node", "show", "w2")
	for _, want := range []string{"locked by root", "disk swap", "Running tasks:", "build", "locked", "root"} {
		if !strings.Contains(out, want) {
			t.Errorf("show w2 lacks %q:\n%s", want, out)
		}
	}
	var d api.NodeDetail
	if err := json.Unmarshal([]byte(c.mustRun("node", "show", "w2", "--json")), &d); err != nil ||
		d.Name != "w2" || len(d.History) != 2 || d.History[1].Event != "locked" {
		t.Errorf("show --json = %+v, %v", d, err)
	}
	if code, _, errOut := c.run("node", "show", "nope"); code != exitErr || !strings.Contains(errOut, "not found") {
		t.Errorf("unknown node: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := c.run("node", "show", "no/such"); code != exitUsage {
		t.Errorf("bad name: exit %d, want %d", code, exitUsage)
	}
}

func TestNodeLockUnlock(t *testing.T) {
	c := newCLI(t)
	c.threeNodes()
	if code, _, errOut := c.run("node", "lock", "w1"); code != exitErr || !strings.Contains(errOut, "only admins") {
		t.Errorf("lock as a user: exit %d, stderr %q", code, errOut)
	}
	c.vars[envToken] = c.adminTok
	if out := c.mustRun("node", "lock", "w1", "--reason", "bios update"); !strings.Contains(out, "Node w1 is locked by root") ||
		!strings.Contains(out, "bios update") {
		t.Errorf("lock said %q", out)
	}
	if row := tableRow(c.mustRun("node", "ls"), "w1"); !strings.Contains(row, "locked") {
		t.Errorf("w1 after lock: %q", row)
	}
	if out := c.mustRun("node", "unlock", "w1"); out != "Node w1 is unlocked (FREE).\n" {
		t.Errorf("unlock said %q", out)
	}
	if row := tableRow(c.mustRun("node", "ls"), "w1"); strings.Contains(row, "locked") {
		t.Errorf("w1 after unlock: %q", row)
	}
	var n api.Node
	if err := json.Unmarshal([]byte(c.mustRun("node", "lock", "w1", "--json")), &n); err != nil || n.Locked == nil {
		t.Errorf("lock --json = %+v, %v", n, err)
	}
}

func TestNodeDrain(t *testing.T) {
	c := newCLI(t)
	c.threeNodes()
	c.vars[envToken] = c.adminTok
	if out := c.mustRun("node", "drain", "w2"); out != "Node w2 is draining; 1 task(s) still run.\n" {
		t.Errorf("drain said %q", out)
	}
	if out := c.mustRun("node", "drain", "w1"); out != "Node w1 is draining and empty: it can be removed.\n" {
		t.Errorf("drain said %q", out)
	}
	if out := c.mustRun("node", "drain", "--cancel", "w2"); out != "Node w2 is not draining.\n" {
		t.Errorf("drain --cancel said %q", out)
	}
}

func TestNodeRm(t *testing.T) {
	c := newCLI(t)
	c.threeNodes()
	if code, _, errOut := c.run("node", "rm", "w1"); code != exitErr || !strings.Contains(errOut, "only admins") {
		t.Errorf("rm as a user: exit %d, stderr %q", code, errOut)
	}
	c.vars[envToken] = c.adminTok
	if out := c.mustRun("node", "rm", "w1"); out != "Removed node w1.\n" {
		t.Errorf("rm said %q", out)
	}
	code, _, errOut := c.run("node", "rm", "w2")
	if code != exitErr || !strings.Contains(errOut, "runs 1 attempt") || !strings.Contains(errOut, "--force") {
		t.Errorf("rm of a busy node: exit %d, stderr %q", code, errOut)
	}
	if out := c.mustRun("node", "rm", "w2", "--force"); out != "Removed node w2.\n" {
		t.Errorf("rm --force said %q", out)
	}
	if out := c.mustRun("node", "ls"); tableRow(out, "w1") != "" || tableRow(out, "w2") != "" || tableRow(out, "w3") == "" {
		t.Errorf("nodes after rm:\n%s", out)
	}
	if code, _, errOut := c.run("node", "rm", "w1"); code != exitErr || !strings.Contains(errOut, "not found") {
		t.Errorf("rm again: exit %d, stderr %q", code, errOut)
	}
}

func TestNodeHelp(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"node", "show", "-h"}, {"node", "lock", "-h"}, {"node", "unlock", "-h"}, {"node", "drain", "-h"},
		{"node", "rm", "-h"}, {"rm", "stats", "-h"}, {"rm", "events", "-h"}, {"rm", "history", "-h"},
	} {
		code, out, errOut := c.run(args...)
		if code != exitOK || out != "" || !strings.Contains(errOut, "\nExample:\n  ") {
			t.Errorf("shrike %v: exit %d, stdout %q, help %q", args, code, out, errOut)
		}
	}
	if code, _, errOut := c.run("node", "help"); code != exitOK || !strings.Contains(errOut, "drain") {
		t.Errorf("node help: exit %d, %q", code, errOut)
	}
	for _, args := range [][]string{{"rm"}, {"rm", "bogus"}, {"node", "show"}, {"node", "lock", "a", "b"}} {
		if code, _, _ := c.run(args...); code != exitUsage {
			t.Errorf("shrike %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
