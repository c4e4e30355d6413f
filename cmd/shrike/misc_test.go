package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestNodeLs(t *testing.T) {
	c := newCLI(t)
	c.fake.SetNodes(api.Node{Name: "w1", State: api.NodeFree, Hostname: "host1", OS: "linux", Arch: "amd64", CPUs: 8})
	out := c.mustRun("node", "ls")
	if !strings.Contains(out, "w1") || !strings.Contains(out, "FREE") || !strings.Contains(out, "0/8") {
		t.Errorf("table:\n%s", out)
	}
	var nodes []api.Node
	if err := json.Unmarshal([]byte(c.mustRun("node", "ls", "--json")), &nodes); err != nil || len(nodes) != 1 {
		t.Errorf("node ls --json = %+v, %v", nodes, err)
	}
}

func TestAdminUsers(t *testing.T) {
	c := newCLI(t)
	c.vars[envToken] = c.adminTok
	c.vars[envNewPassword] = "bob-pw"
	if out := c.mustRun("admin", "user", "add", "bob", "--role", "admin"); out != "Created user bob (admin).\n" {
		t.Errorf("add said %q", out)
	}
	out := c.mustRun("admin", "user", "ls")
	if !strings.Contains(out, "bob") || !strings.Contains(out, "alice") {
		t.Errorf("users:\n%s", out)
	}
	if code, _, _ := c.run("admin", "user", "add", "eve", "--role", "boss"); code != exitUsage {
		t.Errorf("bad role: exit %d, want %d", code, exitUsage)
	}
	delete(c.vars, envNewPassword)
	c.password = "carol-pw"
	c.mustRun("admin", "user", "add", "carol")
}

func TestAdminOnly(t *testing.T) {
	c := newCLI(t)
	c.vars[envNewPassword] = "x"
	if code, _, errOut := c.run("admin", "user", "add", "bob"); code != exitErr || !strings.Contains(errOut, "only admins") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestVersion(t *testing.T) {
	c := newCLI(t)
	if out := c.mustRun("version"); !strings.HasPrefix(out, "shrike "+api.Version) {
		t.Errorf("version = %q", out)
	}
}

func TestUsageAndHelp(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{}, {"bogus"}, {"job"}, {"job", "bogus"}, {"admin", "user"}, {"job", "show", "abc"}} {
		if code, _, _ := c.run(args...); code != exitUsage {
			t.Errorf("shrike %v: exit %d, want %d", args, code, exitUsage)
		}
	}
	for _, args := range [][]string{
		{"login", "-h"}, {"logout", "-h"}, {"job", "submit", "-h"}, {"job", "ls", "--help"},
		{"job", "show", "-h"}, {"job", "logs", "-h"}, {"job", "kill", "-h"}, {"job", "wait", "-h"},
		{"node", "ls", "-h"}, {"admin", "user", "add", "-h"}, {"admin", "user", "ls", "-h"}, {"version", "-h"},
	} {
		code, out, errOut := c.run(args...)
		if code != exitOK || out != "" || !strings.Contains(errOut, "\nExample:\n  ") {
			t.Errorf("shrike %v: exit %d, stdout %q, help %q", args, code, out, errOut)
		}
	}
	if code, _, errOut := c.run("-h"); code != exitOK || !strings.Contains(errOut, "job ") {
		t.Errorf("shrike -h: exit %d, %q", code, errOut)
	}
}

func TestServerErrorsExitOne(t *testing.T) {
	c := newCLI(t)
	c.fake.FailWith(api.Errorf(api.CodeUnavailable, "store is read-only"))
	if code, _, errOut := c.run("node", "ls"); code != exitErr || errOut != "shrike: store is read-only\n" {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	c.vars[envAddr] = "http://127.0.0.1:1"
	if code, _, errOut := c.run("job", "ls"); code != exitErr || !strings.Contains(errOut, "cannot reach") {
		t.Errorf("unreachable: exit %d, stderr %q", code, errOut)
	}
}
