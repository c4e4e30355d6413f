package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// asAdmin makes the next commands run as root.
func (c *cli) asAdmin() { c.vars[envToken] = c.adminTok }

// showSource runs `source show NAME --json`.
func (c *cli) showSource(name string) sourceDetail {
	c.t.Helper()
	var d sourceDetail
	if err := json.Unmarshal([]byte(c.mustRun("source", "show", name, "--json")), &d); err != nil {
		c.t.Fatalf("source show --json: %v", err)
	}
	return d
}

func TestSourceCreateFromFlags(t *testing.T) {
	c := newCLI(t)
	c.asAdmin()
	key := writeFile(t, "id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n")
	out := c.mustRun("source", "create", "lab", "--infra", "ssh", "--infra-param", "hosts=a,b", "--infra-param", "user=grid",
		"--infra-param-file", "private_key="+key, "--policy", "static", "--policy-param", "nodes=2",
		"--use", "group:physics", "--use", "user:bob", "--admin", "user:alice", "--node-token", "gpu",
		"--description", "the lab", "--deploy")
	if out != "Created node source lab: DEPLOYED, nodes 0.\n" {
		t.Errorf("create said %q", out)
	}
	d := c.showSource("lab")
	want := api.NodeSourceSpec{Name: "lab", Description: "the lab",
		Infrastructure: api.PluginSpec{Type: "ssh", Params: map[string]string{"hosts": "a,b", "user": "grid", "private_key": "******"}},
		Policy:         api.PluginSpec{Type: "static", Params: map[string]string{"nodes": "2"}},
		Access:         api.SourceAccess{Use: []string{"group:physics", "user:bob"}, Admin: []string{"user:alice", "user:root"}},
		NodeTokens:     []string{"gpu"}}
	if !reflect.DeepEqual(d.NodeSourceSpec, want) || d.Status != api.SourceDeployed {
		t.Errorf("source = %+v\nwant %+v", d.NodeSource, want)
	}

	var src api.NodeSource
	out = c.mustRun("source", "create", "ws", "--policy", "workstation", "--json")
	if err := json.Unmarshal([]byte(out), &src); err != nil || src.Name != "ws" || src.Status != api.SourceUndeployed {
		t.Errorf("create --json = %+v, %v", src, err)
	}
	if !strings.Contains(c.mustRun("source", "create", "ws2", "--policy", "static"), "shrike source token create ws2") {
		t.Errorf("an enroll source's creation does not say how nodes join")
	}
}

func TestSourceCreateErrors(t *testing.T) {
	c := newCLI(t)
	c.asAdmin()
	tests := map[string]struct {
		args []string
		code int
		want []string
	}{
		"no name":        {[]string{"--policy", "static"}, exitUsage, []string{"NAME"}},
		"bad name":       {[]string{"l.ab", "--policy", "static"}, exitUsage, []string{"invalid node source name"}},
		"two names":      {[]string{"a", "b"}, exitUsage, []string{"at most one NAME"}},
		"bad param flag": {[]string{"lab", "--policy", "static", "--policy-param", "nodes"}, exitUsage, []string{"NAME=VALUE"}},
		"missing file":   {[]string{"lab", "--policy", "static", "--infra-param-file", "private_key=/nonexistent/key"}, exitErr, []string{"private_key", "/nonexistent/key"}},
		"both param kinds": {[]string{"lab", "--policy", "static", "--infra-param", "password=x", "--infra-param-file", "password=/etc/hostname"},
			exitUsage, []string{"password given with both"}},
		"server checks": {[]string{"lab", "--infra", "ssh", "--infra-param", "port=many", "--policy", "statik"}, exitErr,
			[]string{"infrastructure.params.hosts: required", "infrastructure.params.port", "policy.type", `did you mean "static"`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := c.run(append([]string{"source", "create"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
	c.vars[envToken] = c.vars[envAddr] // anything but an admin's token
	if code, _, _ := c.run("source", "create", "lab", "--policy", "static"); code != exitErr {
		t.Errorf("create without a valid login: exit %d, want %d", code, exitErr)
	}
}

// localElastic is a source document like examples/sources/local-elastic.yaml.
const localElastic = `name: local
infrastructure:
  type: local
  params:
    max_nodes: 4
policy:
  type: elastic
  params:
    max_nodes: 4
    release_after: 10m
access:
  use: ["*"]
`

func TestSourceCreateFromFile(t *testing.T) {
	c := newCLI(t)
	c.asAdmin()
	file := writeFile(t, "local.yaml", localElastic)
	c.mustRun("source", "create", "-f", file)
	d := c.showSource("local")
	if d.Infrastructure.Params["max_nodes"] != "4" || d.Policy.Params["release_after"] != "10m" || d.Status != api.SourceUndeployed {
		t.Errorf("from the file: %+v", d.NodeSource)
	}

	// Flags override the file: the name, a parameter, the access, deploy.
	c.mustRun("source", "create", "-f", file, "local2", "--policy-param", "max_nodes=8", "--use", "group:physics", "--deploy")
	d = c.showSource("local2")
	if d.Policy.Params["max_nodes"] != "8" || d.Policy.Params["release_after"] != "10m" ||
		!reflect.DeepEqual(d.Access.Use, []string{"group:physics"}) || d.Status != api.SourceDeployed {
		t.Errorf("with flags over the file: %+v", d.NodeSource)
	}

	// --deploy=false overrides the file's deploy: true.
	deploying := writeFile(t, "deploying.yaml", strings.Replace(localElastic, "name: local", "name: local4\ndeploy: true", 1))
	c.mustRun("source", "create", "-f", deploying, "--deploy=false")
	if d = c.showSource("local4"); d.Status != api.SourceUndeployed {
		t.Errorf("--deploy=false over deploy: true: %s", d.Status)
	}

	// JSON on standard input.
	c.stdin = `{"name": "local3", "infrastructure": {"type": "local"}, "policy": {"type": "static"}}`
	c.mustRun("source", "create", "-f", "-")
	if d = c.showSource("local3"); d.Policy.Type != "static" {
		t.Errorf("from stdin: %+v", d.NodeSource)
	}
}

func TestSourceCreateFromFileRefusesUnknownFields(t *testing.T) {
	c := newCLI(t)
	c.asAdmin()
	tests := map[string]struct {
		doc  string
		want []string
	}{
		"nested":    {strings.Replace(localElastic, "  params:\n    max_nodes: 4\npolicy", "  parms:\n    max_nodes: 4\npolicy", 1), []string{`line 4: unknown field "parms"`}},
		"top level": {localElastic + "deploy_now: true\n", []string{`line 13: unknown field "deploy_now"`}},
		"two":       {localElastic + "nodes: 3\nowner: bob\n", []string{`unknown field "nodes"`, `unknown field "owner"`}},
		"type":      {"name: [a, b]\n", []string{"line 1", "cannot unmarshal"}},
		"empty":     {"\n", []string{"empty"}},
		"two docs":  {localElastic + "---\nname: other\n", []string{"more than one document"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			file := writeFile(t, "source.yaml", tc.doc)
			code, _, errOut := c.run("source", "create", "-f", file)
			if code != exitErr || !strings.Contains(errOut, file) {
				t.Errorf("exit %d, stderr %q; want exit %d naming the file", code, errOut, exitErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
	if out := c.mustRun("source", "ls", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("sources were created: %s", out)
	}
}

// twoSources creates lab (ssh, deployed, with a secret password) and ws
// (enroll, undeployed), and nodes in both.
func (c *cli) twoSources() {
	c.t.Helper()
	c.asAdmin()
	c.mustRun("source", "create", "lab", "--infra", "ssh", "--infra-param", "hosts=a,b", "--infra-param", "user=grid",
		"--infra-param", "password=hunter2", "--infra-param", "known_hosts=a ssh-ed25519 AAAA\nb ssh-ed25519 BBBB\n",
		"--policy", "static", "--deploy")
	c.mustRun("source", "create", "ws", "--policy", "workstation", "--policy-param", "input_idle=10m",
		"--use", "group:physics", "--admin", "user:alice")
	c.fake.SetNodes(
		api.Node{Name: "a", Source: "lab", State: api.NodeFree},
		api.Node{Name: "b", Source: "lab", State: api.NodeBusy},
		api.Node{Name: "w1", Source: "ws", State: api.NodeConfiguring},
		api.Node{Name: "x", Source: "default", State: api.NodeDown},
	)
}

func TestSourceLsAndShow(t *testing.T) {
	c := newCLI(t)
	c.twoSources()
	out := c.mustRun("source", "ls")
	if !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "OWNER") {
		t.Errorf("header:\n%s", out)
	}
	for name, want := range map[string][]string{
		"lab": {"DEPLOYED", "ssh", "static", "2 (1 FREE, 1 BUSY)", "root"},
		"ws":  {"UNDEPLOYED", "enroll", "workstation", "1 (1 CONFIGURING)"},
	} {
		line := tableRow(out, name)
		for _, w := range want {
			if !strings.Contains(line, w) {
				t.Errorf("row of %s %q lacks %q", name, line, w)
			}
		}
	}
	var list []api.NodeSource
	if err := json.Unmarshal([]byte(c.mustRun("source", "ls", "--json")), &list); err != nil || len(list) != 2 {
		t.Errorf("ls --json = %+v, %v", list, err)
	}

	c.mustRun("source", "token", "create", "lab", "--description", "rack 2")
	out = c.mustRun("source", "show", "lab")
	for _, w := range []string{"Name:", "DEPLOYED", "Infrastructure:", "ssh", "Use:", "everyone", "user:root",
		"Nodes:", "2 (1 FREE, 1 BUSY)", "Last decision:", "deployed by root", "Next check:",
		"Infrastructure parameters:", "password", "******", "a ssh-ed25519 AAAA … (2 lines)",
		"Policy parameters: none (defaults)", "Enrollment tokens:", "tok-1", "reusable", "rack 2"} {
		if !strings.Contains(out, w) {
			t.Errorf("show lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "enroll-lab-1") {
		t.Errorf("show prints a secret:\n%s", out)
	}

	// carol may use lab (it is for everyone) but not ws (physics only),
	// and does not administer lab.
	c.vars[envToken] = c.fake.AddUser("carol", "pw", api.RoleUser)
	out = c.mustRun("source", "show", "lab")
	if !strings.Contains(out, "Enrollment tokens: shown to the source's admins only") {
		t.Errorf("a user sees tokens:\n%s", out)
	}
	if code, _, errOut := c.run("source", "show", "ws"); code != exitErr || !strings.Contains(errOut, "not found") {
		t.Errorf("show of a source carol may not use: exit %d, %q", code, errOut)
	}
	if d := c.showSource("lab"); d.Tokens != nil || d.Name != "lab" {
		t.Errorf("show --json for a user = %+v", d)
	}
}

func TestSourceTokens(t *testing.T) {
	c := newCLI(t)
	c.twoSources()
	c.vars[envToken] = c.fake.AddUser("alice2", "pw", api.RoleUser)
	if code, _, errOut := c.run("source", "token", "create", "lab"); code != exitErr || !strings.Contains(errOut, "only admins") {
		t.Errorf("token create by a user: exit %d, %q", code, errOut)
	}
	c.asAdmin()

	out := c.mustRun("source", "token", "create", "ws", "--one-time", "--ttl", "2h", "--description", "ws12")
	for _, w := range []string{"Created one-time enrollment token tok-1 of node source ws, valid until ",
		"Token (shown only this once): enroll-ws-1\n",
		"On the machine to enroll, run:\n  shrike node join --server " + c.srv.URL + " --token enroll-ws-1\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("token create lacks %q:\n%s", w, out)
		}
	}
	out = c.mustRun("source", "token", "create", "ws", "--ttl", "0")
	if !strings.Contains(out, "reusable enrollment token tok-2 of node source ws, valid until revoked") ||
		!strings.Contains(out, "On each machine to enroll") {
		t.Errorf("token create --ttl 0:\n%s", out)
	}
	var tok api.EnrollToken
	if err := json.Unmarshal([]byte(c.mustRun("source", "token", "create", "ws", "--json")), &tok); err != nil ||
		tok.Token != "enroll-ws-3" || tok.ExpiresAt == nil || tok.ExpiresAt.Sub(tok.CreatedAt).Hours() != 24 {
		t.Errorf("token create --json = %+v, %v; want the secret and the default 24h", tok, err)
	}
	if code, _, _ := c.run("source", "token", "create", "ws", "--ttl", "soon"); code != exitUsage {
		t.Errorf("bad --ttl: exit %d, want %d", code, exitUsage)
	}

	out = c.mustRun("source", "token", "ls", "ws")
	for id, want := range map[string]string{"tok-1": "one-time", "tok-2": "never", "tok-3": "reusable"} {
		if !strings.Contains(tableRow(out, id), want) {
			t.Errorf("row %s lacks %q:\n%s", id, want, out)
		}
	}
	if strings.Contains(out, "enroll-ws") {
		t.Errorf("token ls prints secrets:\n%s", out)
	}
	if out := c.mustRun("source", "token", "revoke", "ws", "tok-1"); out != "Revoked enrollment token tok-1 of node source ws.\n" {
		t.Errorf("revoke said %q", out)
	}
	var toks []api.EnrollToken
	if err := json.Unmarshal([]byte(c.mustRun("source", "token", "ls", "ws", "--json")), &toks); err != nil || len(toks) != 2 {
		t.Errorf("token ls --json = %+v, %v", toks, err)
	}
	if code, _, errOut := c.run("source", "token", "revoke", "ws", "tok-1"); code != exitErr || !strings.Contains(errOut, "tok-1") {
		t.Errorf("revoking twice: exit %d, %q", code, errOut)
	}
}

func TestSourceUpdate(t *testing.T) {
	c := newCLI(t)
	c.twoSources()
	out := c.mustRun("source", "update", "ws", "--policy-param", "input_idle=", "--policy-param", "max_load=1",
		"--use", "user:bob", "--node-token", "desktop", "--description", "desks")
	if out != "Updated node source ws: UNDEPLOYED, nodes 1 (1 CONFIGURING).\n" {
		t.Errorf("update said %q", out)
	}
	d := c.showSource("ws")
	if !reflect.DeepEqual(d.Policy.Params, map[string]string{"max_load": "1"}) || d.Description != "desks" ||
		!reflect.DeepEqual(d.Access, api.SourceAccess{Use: []string{"user:bob"}, Admin: []string{"user:alice", "user:root"}}) ||
		!reflect.DeepEqual(d.NodeTokens, []string{"desktop"}) {
		t.Errorf("after the update: %+v", d.NodeSource)
	}
	c.mustRun("source", "update", "ws", "--node-token", "", "--use", "")
	if d = c.showSource("ws"); len(d.NodeTokens) != 0 || len(d.Access.Use) != 0 || len(d.Access.Admin) != 2 {
		t.Errorf("after emptying the lists: %+v", d.NodeSource)
	}
	if code, _, errOut := c.run("source", "update", "ws"); code != exitUsage || !strings.Contains(errOut, "nothing to change") {
		t.Errorf("empty update: exit %d, %q", code, errOut)
	}
	if code, _, errOut := c.run("source", "update", "ws", "--policy-param", "max_load=lots"); code != exitErr ||
		!strings.Contains(errOut, "policy.params.max_load") {
		t.Errorf("bad value: exit %d, %q", code, errOut)
	}
}

func TestSourceDeployUndeployRm(t *testing.T) {
	c := newCLI(t)
	c.twoSources()
	if out := c.mustRun("source", "deploy", "ws"); !strings.HasPrefix(out, "Deployed node source ws: DEPLOYED") ||
		!strings.Contains(out, "Policy: deployed by root") {
		t.Errorf("deploy said %q", out)
	}
	if out := c.mustRun("source", "undeploy", "lab"); !strings.Contains(out, "UNDEPLOYING") || !strings.Contains(out, "--preempt") {
		t.Errorf("undeploy with a busy node said %q", out)
	}
	var src api.NodeSource
	if err := json.Unmarshal([]byte(c.mustRun("source", "undeploy", "lab", "--preempt", "--json")), &src); err != nil ||
		src.Status != api.SourceUndeployed {
		t.Errorf("undeploy --preempt --json = %+v, %v", src, err)
	}
	code, _, errOut := c.run("source", "rm", "lab")
	if code != exitErr || !strings.Contains(errOut, "busy") || !strings.Contains(errOut, "add --preempt") {
		t.Errorf("rm of a busy source: exit %d, %q", code, errOut)
	}
	if out := c.mustRun("source", "rm", "lab", "--preempt"); out != "Deleted node source lab.\n" {
		t.Errorf("rm said %q", out)
	}
	if code, _, _ := c.run("source", "show", "lab"); code != exitErr {
		t.Errorf("show after rm: exit %d", code)
	}
	if code, _, _ := c.run("source", "deploy", "nope", "extra"); code != exitUsage {
		t.Errorf("deploy with two arguments: exit %d, want %d", code, exitUsage)
	}
}

func TestSourceKinds(t *testing.T) {
	c := newCLI(t)
	out := c.mustRun("source", "infrastructures")
	for _, w := range []string{"enroll: ", "  no parameters", "local: ", "ssh: ", "slurm: ", "PARAM", "HELP"} {
		if !strings.Contains(out, w) {
			t.Errorf("infrastructures lacks %q:\n%s", w, out)
		}
	}
	if line := tableRow(out, "  password"); !strings.Contains(line, "string") || !strings.Contains(line, "yes") {
		t.Errorf("password row %q: want its type and secret yes", line)
	}
	if line := tableRow(out, "  hosts"); !strings.Contains(line, "list") || !strings.Contains(line, "yes") {
		t.Errorf("hosts row %q: want its type and required yes", line)
	}
	out = c.mustRun("source", "policies", "elastic")
	if !strings.HasPrefix(out, "elastic: ") || !strings.Contains(tableRow(out, "  release_after"), "10m") || strings.Contains(out, "static") {
		t.Errorf("policies elastic:\n%s", out)
	}
	var kinds []api.KindInfo
	if err := json.Unmarshal([]byte(c.mustRun("source", "policies", "--json")), &kinds); err != nil || len(kinds) != 6 {
		t.Errorf("policies --json = %+v, %v", kinds, err)
	}
	if code, _, errOut := c.run("source", "policies", "elastik"); code != exitUsage || !strings.Contains(errOut, "known: static") {
		t.Errorf("unknown kind: exit %d, %q", code, errOut)
	}
}

func TestNodeLsBySource(t *testing.T) {
	c := newCLI(t)
	c.twoSources()
	out := c.mustRun("node", "ls", "--source", "lab")
	if !strings.Contains(out, "SOURCE") || !strings.Contains(tableRow(out, "a"), "lab") ||
		tableRow(out, "b") == "" || tableRow(out, "w1") != "" || tableRow(out, "x") != "" {
		t.Errorf("node ls --source lab:\n%s", out)
	}
	var nodes []api.Node
	if err := json.Unmarshal([]byte(c.mustRun("node", "ls", "--source", "ws", "--json")), &nodes); err != nil ||
		len(nodes) != 1 || nodes[0].Name != "w1" {
		t.Errorf("node ls --source ws --json = %+v, %v", nodes, err)
	}
	if out := c.mustRun("node", "ls", "--source", "nope", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("unknown source: %s", out)
	}
}

func TestAdminUserGroups(t *testing.T) {
	c := newCLI(t)
	c.asAdmin()
	c.vars[envNewPassword] = "pw"
	if out := c.mustRun("admin", "user", "add", "bob", "--group", "physics", "--group", "gpu,lab"); out !=
		"Created user bob (user; groups physics, gpu, lab).\n" {
		t.Errorf("add said %q", out)
	}
	out := c.mustRun("admin", "user", "ls")
	if !strings.Contains(out, "GROUPS") || !strings.Contains(tableRow(out, "bob"), "physics,gpu,lab") ||
		!strings.Contains(tableRow(out, "alice"), " - ") {
		t.Errorf("user ls:\n%s", out)
	}
	if code, _, errOut := c.run("admin", "user", "add", "eve", "--group", "a b"); code != exitErr || !strings.Contains(errOut, "groups[0]") {
		t.Errorf("bad group: exit %d, %q", code, errOut)
	}
}
