package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoginSavesCredentials(t *testing.T) {
	c := newCLI(t)
	c.vars = map[string]string{envPassword: "alice-pw"}
	out := c.mustRun("login", "--server", c.srv.URL+"/", "--user", "alice")
	if !strings.Contains(out, "Logged in to "+c.srv.URL+" as alice") {
		t.Errorf("login said %q", out)
	}

	path := filepath.Join(c.configDir, "shrike", "credentials.json")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("credentials file: %v", err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("credentials file mode = %o, want 600", mode)
	}
	if dir, _ := os.Stat(filepath.Dir(path)); dir.Mode().Perm() != 0o700 {
		t.Errorf("credentials dir mode = %o, want 700", dir.Mode().Perm())
	}
	var saved credentials
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &saved); err != nil {
		t.Fatalf("credentials file %s: %v", data, err)
	}
	if saved.Server != c.srv.URL || saved.User != "alice" || saved.Token == "" {
		t.Errorf("saved %+v", saved)
	}

	// Later commands need neither flags nor environment.
	c.vars = map[string]string{}
	c.mustRun("job", "ls")

	c.mustRun("logout")
	code, _, errOut := c.run("job", "ls")
	if code != exitErr || !strings.Contains(errOut, "shrike: not logged in") {
		t.Errorf("after logout: exit %d, stderr %q; want 1 and not logged in", code, errOut)
	}
	// The server and user stay saved: a new login needs only the password.
	c.password = "alice-pw"
	c.mustRun("login")
}

func TestLoginRefused(t *testing.T) {
	c := newCLI(t)
	c.vars = map[string]string{envPassword: "wrong"}
	code, _, errOut := c.run("login", "--server", c.srv.URL, "--user", "alice")
	if code != exitErr || !strings.Contains(errOut, "shrike: wrong user name or password") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(c.configDir, "shrike", "credentials.json")); err == nil {
		t.Errorf("a refused login saved credentials")
	}
}

func TestLoginAsksForThePassword(t *testing.T) {
	c := newCLI(t)
	c.vars = map[string]string{}
	if code, _, errOut := c.run("login", "--server", c.srv.URL, "--user", "alice"); code != exitErr ||
		!strings.Contains(errOut, envPassword) {
		t.Errorf("without a terminal: exit %d, stderr %q; want 1 naming %s", code, errOut, envPassword)
	}
	c.password = "alice-pw"
	c.mustRun("login", "--server", c.srv.URL, "--user", "alice")
}

func TestLoginUsage(t *testing.T) {
	c := newCLI(t)
	c.vars = map[string]string{envPassword: "x"}
	for _, args := range [][]string{
		{"login", "--user", "alice"},          // no server
		{"login", "--server", c.srv.URL},      // no user
		{"login", "--bogus"},                  // unknown flag
		{"login", "--user", "alice", "extra"}, // stray argument
	} {
		if code, _, _ := c.run(args...); code != exitUsage {
			t.Errorf("shrike %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestResolveTarget(t *testing.T) {
	dir := t.TempDir()
	saved := credentials{Server: "http://saved:1", User: "alice", Token: "saved-token"}
	e := &env{configDir: func() (string, error) { return dir, nil }}
	if err := saveCredentials(e, saved); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		flag string
		vars map[string]string
		want target
	}{
		"saved":               {"", nil, target{"http://saved:1", "saved-token"}},
		"env addr":            {"", map[string]string{envAddr: "http://env:2"}, target{"http://env:2", ""}},
		"flag beats env":      {"http://flag:3/", map[string]string{envAddr: "http://env:2"}, target{"http://flag:3", ""}},
		"same server, token":  {"saved:1", nil, target{"http://saved:1", "saved-token"}},
		"env token":           {"", map[string]string{envToken: "env-token"}, target{"http://saved:1", "env-token"}},
		"env token elsewhere": {"", map[string]string{envAddr: "http://env:2", envToken: "t"}, target{"http://env:2", "t"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e.getenv = func(k string) string { return tc.vars[k] }
			got, err := resolveTarget(e, tc.flag)
			if got != tc.want {
				t.Errorf("target = %+v, want %+v", got, tc.want)
			}
			if (tc.want.token == "") != (err != nil) {
				t.Errorf("err = %v", err)
			}
		})
	}
}
