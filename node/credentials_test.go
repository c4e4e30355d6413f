package node

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/rest/resttest"
)

var testCreds = api.NodeCredentials{Name: "w1", Source: "lab", Secret: "s3cret", NATSURL: "nats://10.0.0.5:4222", Server: "http://10.0.0.5:8080"}

func TestCredentialsRoundTrip(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new", "dir")
	path := filepath.Join(dir, CredentialsFile)
	if err := WriteCredentials(path, testCreds); err != nil {
		t.Fatalf("WriteCredentials: %v", err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700} {
		if info, err := os.Stat(p); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: mode %v (err %v), want %04o", p, info.Mode().Perm(), err, want)
		}
	}
	got, err := ReadCredentials(path)
	if err != nil || got != testCreds {
		t.Fatalf("ReadCredentials = %+v, %v; want %+v", got, err, testCreds)
	}
	// Replacing leaves no temporary file behind.
	next := testCreds
	next.Secret = "rotated"
	if err := WriteCredentials(path, next); err != nil {
		t.Fatalf("WriteCredentials again: %v", err)
	}
	if got, _ := ReadCredentials(path); got.Secret != "rotated" {
		t.Errorf("after rewrite: secret %q, want rotated", got.Secret)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only %s", len(entries), CredentialsFile)
	}
}

func TestReadCredentialsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask-proof
			t.Fatal(err)
		}
		return p
	}
	good, _ := json.Marshal(testCreds)
	tests := map[string]struct {
		path string
		want []string
	}{
		"missing":        {filepath.Join(dir, "none.json"), []string{"none.json", "join first"}},
		"group readable": {write("g.json", string(good), 0o640), []string{"mode 0640", "chmod 600"}},
		"world readable": {write("w.json", string(good), 0o604), []string{"chmod 600"}},
		"not json":       {write("bad.json", "name=w1", 0o600), []string{"bad.json", "not valid JSON"}},
		"fields missing": {write("empty.json", `{"name":"bad name"}`, 0o600), []string{"name: invalid node name", "secret: missing", "nats_url: missing"}},
		"a directory":    {dir, []string{"not a regular file"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ReadCredentials(tc.path)
			if err == nil {
				t.Fatal("ReadCredentials: want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := ReadCredentials(tests["missing"].path); !errors.Is(err, ErrNoCredentials) {
		t.Errorf("missing file: %v, want ErrNoCredentials", err)
	}
}

// joinServer runs the REST API over its in-memory fake backend with the
// enroll sources "lab" and "other", and returns its URL and a reusable
// enrollment token of each.
func joinServer(t *testing.T) (url string, tokens map[string]string) {
	t.Helper()
	fake := resttest.NewFakeBackend()
	srv := httptest.NewServer(rest.New(fake, rest.Options{}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	admin := rest.Principal{Name: "root", Role: api.RoleAdmin}
	tokens = map[string]string{}
	for _, name := range []string{"lab", "other"} {
		spec := api.NodeSourceSpec{Name: name, Infrastructure: api.PluginSpec{Type: "enroll"}, Policy: api.PluginSpec{Type: "static"}}
		if _, err := fake.CreateSource(ctx, admin, spec); err != nil {
			t.Fatalf("create source %s: %v", name, err)
		}
		tok, err := fake.CreateEnrollToken(ctx, admin, name, api.EnrollTokenRequest{})
		if err != nil {
			t.Fatalf("create a token of %s: %v", name, err)
		}
		tokens[name] = tok.Token
	}
	return srv.URL, tokens
}

func TestJoin(t *testing.T) {
	t.Parallel()
	url, tokens := joinServer(t)
	ctx := context.Background()

	c, err := Join(ctx, url, " "+tokens["lab"]+"\n", "w7")
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	if c.Name != "w7" || c.Source != "lab" || c.Secret == "" || c.NATSURL != resttest.NATSURL || c.Server != url {
		t.Errorf("Join = %+v, want node w7 of lab with a secret, NATS URL %s and server %s", c, resttest.NATSURL, url)
	}
	if _, err := Join(ctx, url, tokens["other"], "taken"); err != nil {
		t.Fatalf("Join other: %v", err)
	}

	tests := map[string]struct {
		server, token, name string
		want                []string
		badToken, retryable bool
	}{
		"bad token":    {url, "nope", "w7", []string{"refused"}, true, false},
		"name taken":   {url, tokens["lab"], "taken", []string{"another node source"}, false, false},
		"nats url":     {"nats://127.0.0.1:4222", tokens["lab"], "w7", []string{"NATS URL", "http://HOST:PORT", "--nats"}, false, false},
		"no token":     {url, " ", "w7", []string{"enrollment token: missing"}, false, false},
		"bad name":     {url, tokens["lab"], "a b", []string{"node name"}, false, false},
		"unreachable":  {"http://127.0.0.1:1", tokens["lab"], "w7", []string{"cannot reach"}, false, true},
		"not a server": {url + "/elsewhere", tokens["lab"], "w7", []string{"join"}, false, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Join(ctx, tc.server, tc.token, tc.name)
			if err == nil {
				t.Fatal("Join: want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if got := errors.Is(err, ErrBadToken); got != tc.badToken {
				t.Errorf("errors.Is(ErrBadToken) = %v, want %v", got, tc.badToken)
			}
			if got := JoinRetryable(err); got != tc.retryable {
				t.Errorf("JoinRetryable = %v, want %v (error %v)", got, tc.retryable, err)
			}
		})
	}
}
