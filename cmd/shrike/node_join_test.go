package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/rest/resttest"
)

// enrollToken creates the enroll source name in the fake backend and
// returns a reusable enrollment token of it. Nodes that join get the
// secret "node-secret-<node>".
func (c *cli) enrollToken(name string) string {
	c.t.Helper()
	ctx := context.Background()
	admin := rest.Principal{Name: "root", Role: api.RoleAdmin}
	spec := api.NodeSourceSpec{Name: name, Infrastructure: api.PluginSpec{Type: "enroll"}, Policy: api.PluginSpec{Type: "static"}}
	if _, err := c.fake.CreateSource(ctx, admin, spec); err != nil {
		c.t.Fatalf("create source %s: %v", name, err)
	}
	tok, err := c.fake.CreateEnrollToken(ctx, admin, name, api.EnrollTokenRequest{})
	if err != nil {
		c.t.Fatalf("create a token of %s: %v", name, err)
	}
	return tok.Token
}

// writeToken writes an enrollment token file and returns its path.
func writeToken(t *testing.T, token string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "enroll-token")
	if err := os.WriteFile(p, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNodeJoinCommand(t *testing.T) {
	c := newCLI(t)
	token := c.enrollToken("lab")
	server := c.srv.URL
	work := t.TempDir()
	tokenFile := writeToken(t, token)

	code, out, errOut := c.run("node", "join", "--server", server, "--token-file", tokenFile, "--name", "w1", "--work-dir", work)
	if code != exitOK {
		t.Fatalf("join: exit %d, stderr %s", code, errOut)
	}
	path := filepath.Join(work, node.CredentialsFile)
	for _, want := range []string{"node w1", "source lab", path} {
		if !strings.Contains(out, want) {
			t.Errorf("join output %q does not mention %q", out, want)
		}
	}
	creds, err := node.ReadCredentials(path)
	if err != nil || creds.Name != "w1" || creds.Source != "lab" || creds.Secret != "node-secret-w1" || creds.NATSURL != resttest.NATSURL {
		t.Fatalf("credentials = %+v, %v", creds, err)
	}

	// An existing file is kept unless --force.
	code, _, errOut = c.run("node", "join", "--server", server, "--token-file", tokenFile, "--name", "w2", "--work", work)
	if code != exitErr || !strings.Contains(errOut, "--force") || !strings.Contains(errOut, "node w1") {
		t.Errorf("second join: exit %d, stderr %q; want a refusal naming node w1 and --force", code, errOut)
	}
	c.vars[envNodeToken] = token // the token from the environment
	if code, _, errOut = c.run("node", "join", "--server", server, "--name", "w2", "--work-dir", work, "--force"); code != exitOK {
		t.Fatalf("join --force: exit %d, stderr %s", code, errOut)
	}
	if creds, _ := node.ReadCredentials(path); creds.Name != "w2" {
		t.Errorf("after --force: node %s, want w2", creds.Name)
	}

	other := filepath.Join(t.TempDir(), "creds", "node.json")   // never written
	fromEnv := filepath.Join(t.TempDir(), "creds", "node.json") // written
	tests := map[string]struct {
		vars map[string]string
		args []string
		code int
		want string
	}{
		"bad token":       {nil, []string{"--server", server, "--token", "nope", "--credentials", other}, exitErr, "refused"},
		"no token":        {nil, []string{"--server", server, "--credentials", other}, exitUsage, "enrollment token is required"},
		"no server":       {nil, []string{"--token", token, "--credentials", other}, exitUsage, "--server is required"},
		"nats server URL": {nil, []string{"--server", "nats://127.0.0.1:4222", "--token", token, "--credentials", other}, exitErr, "REST URL"},
		"server from env": {map[string]string{envNodeServer: server}, []string{"--token", token, "--name", "w3", "--credentials", fromEnv}, exitOK, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c.vars = tc.vars
			code, _, errOut := c.run(append([]string{"node", "join"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tc.code, tc.want)
			}
		})
	}
	if creds, err := node.ReadCredentials(fromEnv); err != nil || creds.Name != "w3" {
		t.Errorf("credentials at --credentials: %+v, %v; want node w3", creds, err)
	}
}

// startNodeNATS runs an embedded NATS server where node name may log in
// with password secret, and a responder that answers registrations and
// records the names that registered.
func startNodeNATS(t *testing.T, name, secret string) (url string, registered func() []string) {
	t.Helper()
	s, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		Users: []*natsserver.User{{Username: name, Password: secret}, {Username: "server", Password: "server-pw"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(s.Shutdown)
	nc, err := nats.Connect(s.ClientURL(), nats.UserInfo("server", "server-pw"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ch := make(chan string, 16)
	_, err = nc.Subscribe("shrike.node.*.register", func(m *nats.Msg) {
		var req api.RegisterRequest
		_ = json.Unmarshal(m.Data, &req)
		data, _ := json.Marshal(api.RegisterReply{NodeID: "id-" + req.Name, HeartbeatInterval: api.Duration(time.Second)})
		_ = m.Respond(data)
		ch <- req.Name
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	var names []string
	return s.ClientURL(), func() []string {
		for {
			select {
			case n := <-ch:
				names = append(names, n)
			default:
				return slices.Clone(names)
			}
		}
	}
}

// runAgentUntilRegistered runs `shrike node args...` until the responder
// has seen one more registration, then stops it and returns its exit code
// and stderr.
func runAgentUntilRegistered(t *testing.T, c *cli, registered func() []string, args ...string) (int, string) {
	t.Helper()
	before := len(registered())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errOut bytes.Buffer
		code := c.runTo(ctx, &out, &errOut, append([]string{"node"}, args...)...)
		done <- result{code, errOut.String()}
	}()
	deadline := time.After(20 * time.Second)
	for len(registered()) == before {
		select {
		case r := <-done:
			return r.code, r.stderr
		case <-deadline:
			t.Fatal("the agent did not register")
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	select {
	case r := <-done:
		return r.code, r.stderr
	case <-time.After(20 * time.Second):
		t.Fatal("the agent did not stop")
		return 0, ""
	}
}

func TestNodeAgentJoinsThenRuns(t *testing.T) {
	natsURL, registered := startNodeNATS(t, "agent1", "node-secret-agent1")
	c := newCLI(t)
	c.vars[envNodeToken] = c.enrollToken("lab")
	work := t.TempDir()

	// The credentials' NATS URL is the fake's: --nats points elsewhere.
	code, errOut := runAgentUntilRegistered(t, c, registered,
		"--server", c.srv.URL, "--nats", natsURL, "--name", "agent1", "--work", work, "--tag", "a", "--tags", "b,c", "--log-level", "error")
	if code != exitOK || !strings.Contains(errOut, "joined") {
		t.Fatalf("first run: exit %d, stderr %s", code, errOut)
	}
	creds, err := node.ReadCredentials(filepath.Join(work, node.CredentialsFile))
	if err != nil || creds.Name != "agent1" {
		t.Fatalf("credentials after the first run: %+v, %v", creds, err)
	}

	// The second run needs no token nor server: the credentials suffice.
	c.vars = map[string]string{}
	code, errOut = runAgentUntilRegistered(t, c, registered, "--nats", natsURL, "--work-dir", work, "--log-level", "error")
	if code != exitOK || strings.Contains(errOut, "joined") {
		t.Fatalf("second run: exit %d, stderr %s; want a run without joining", code, errOut)
	}
	if got := registered(); !slices.Equal(got, []string{"agent1", "agent1"}) {
		t.Errorf("registrations %v, want agent1 twice", got)
	}

	// A different --name than the credentials' is refused.
	code, _, errOut = c.run("node", "--nats", natsURL, "--work-dir", work, "--name", "other")
	if code != exitUsage || !strings.Contains(errOut, "node agent1") {
		t.Errorf("--name other: exit %d, stderr %q; want a usage error naming agent1", code, errOut)
	}
}

func TestNodeAgentNeedsCredentialsOrToken(t *testing.T) {
	c := newCLI(t)
	tests := map[string]struct {
		args []string
		want []string
	}{
		"nothing to join with": {[]string{"--work-dir", t.TempDir()}, []string{"no credentials file", "--server", "shrike source token create"}},
		"token but no server":  {[]string{"--work-dir", t.TempDir(), "--token", "t"}, []string{"no credentials file"}},
		"old NATS server URL":  {[]string{"--server", "nats://10.0.0.5:4222", "--token", "t"}, []string{"NATS URL", "http://HOST:PORT", "--nats"}},
		"both owner sources":   {[]string{"--watch-owner", "--owner-file", "/tmp/o.json"}, []string{"--watch-owner and --owner-file"}},
		"http NATS URL":        {[]string{"--nats", "http://10.0.0.5:8080"}, []string{"not a NATS URL"}},
		"a stray argument":     {[]string{"extra"}, []string{"unexpected argument"}},
		"bad fact, no join":    {[]string{"--server", "http://127.0.0.1:1", "--token", "t", "--fact", "Rack=7"}, []string{"Rack"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := c.run(append([]string{"node"}, tc.args...)...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, exitUsage, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not mention %q", errOut, w)
				}
			}
		})
	}
}

func TestParseAgentFlags(t *testing.T) {
	env := map[string]string{envNodeServer: "http://env:8080", envNodeToken: "env-token"}
	o, err := parseAgentFlags([]string{"--work", "/w", "--tag", "a", "--tags", "b, c", "--tag", "d", "--fact", "rack=7", "--owner-file", "/o.json"},
		func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.workDir != "/w" || !slices.Equal(o.tags, []string{"a", "b", "c", "d"}) || o.server != "http://env:8080" || o.token != "env-token" {
		t.Errorf("options = %+v", o)
	}
	if got := o.credentialsPath(); got != "/w/"+node.CredentialsFile {
		t.Errorf("credentials path %s, want in the work dir", got)
	}
	cfg, err := o.config(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Facts["rack"] != "7" || cfg.OwnerSource != (node.OwnerFile{Path: "/o.json"}) || len(cfg.Tags) != 4 || cfg.WorkDir != "/w" {
		t.Errorf("config = %+v", cfg)
	}
	o.facts = append(o.facts, "Bad Key=1")
	if _, err := o.config(nil); err == nil || !strings.Contains(err.Error(), "Bad Key") {
		t.Errorf("config with a bad fact key: %v, want an error naming it", err)
	}
}
