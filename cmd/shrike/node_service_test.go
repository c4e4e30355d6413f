package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
)

func TestSystemdQuote(t *testing.T) {
	tests := map[string]string{
		"--server":             "--server",
		"http://h:8080/x":      "http://h:8080/x",
		"rack=7,row=2":         "rack=7,row=2",
		"":                     `""`,
		"two words":            `"two words"`,
		"50%":                  "50%%",
		"$HOME":                "$$HOME",
		"say \"hi\" \\ bye":    `"say \"hi\" \\ bye"`,
		"it's":                 `"it's"`,
		";":                    `";"`,
		"line1\nline2\tx\x01y": `"line1\nline2\tx\x01y"`,
		"note=50% of ${HOME}":  `"note=50%% of $${HOME}"`,
	}
	for in, want := range tests {
		if got := systemdQuote(in); got != want {
			t.Errorf("systemdQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// unitLines returns the unit's lines as a set.
func unitLines(unit string) map[string]bool {
	lines := map[string]bool{}
	for _, l := range strings.Split(unit, "\n") {
		lines[l] = true
	}
	return lines
}

func TestNodeInstallService(t *testing.T) {
	c := newCLI(t)
	c.vars[envNodeToken] = "not written anywhere"
	unitDir := t.TempDir()
	tokenFile := writeToken(t, "enroll-1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	code, out, errOut := c.run("node", "install-service", "--unit-dir", unitDir, "--name", "grid-node.service", "--user", "grid", "--",
		"--server", "http://10.0.0.5:8080", "--token-file", tokenFile, "--tag", "my tag", "--fact", "note=50% of $HOME", "--slots", "4")
	if code != exitOK {
		t.Fatalf("install-service: exit %d, stderr %s", code, errOut)
	}
	path := filepath.Join(unitDir, "grid-node.service")
	if !strings.Contains(out, path) || !strings.Contains(out, "systemctl daemon-reload && systemctl enable --now grid-node") {
		t.Errorf("output %q: want the unit path and the systemctl command", out)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o644 {
		t.Fatalf("unit file: %v, mode %v; want 0644", err, info.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	unit := string(data)
	lines := unitLines(unit)
	wantExec := "ExecStart=" + systemdQuote(exe) + " node --server http://10.0.0.5:8080 --token-file " + systemdQuote(tokenFile) +
		` --tag "my tag" --fact "note=50%% of $$HOME" --slots 4 --work-dir /var/lib/shrike-node`
	for _, want := range []string{
		"[Unit]", "Description=Shrike node agent", "After=network-online.target", "Wants=network-online.target",
		"[Service]", wantExec, "User=grid", "StateDirectory=shrike-node", "Restart=always", "RestartSec=5", "KillMode=mixed",
		"[Install]", "WantedBy=multi-user.target",
	} {
		if !lines[want] {
			t.Errorf("unit lacks the line %q:\n%s", want, unit)
		}
	}
	if strings.Contains(unit, "not written anywhere") {
		t.Error("the unit holds the token from the environment")
	}
	// systemd's own parser, where installed, checks the quoting.
	if _, err := exec.LookPath("systemd-analyze"); err == nil {
		if out, err := exec.Command("systemd-analyze", "verify", "--man=no", path).CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	}

	// --print writes nothing; an existing credentials file needs no token.
	work := t.TempDir()
	if err := node.WriteCredentials(filepath.Join(work, node.CredentialsFile),
		api.NodeCredentials{Name: "w1", Secret: "s", NATSURL: "nats://h:4222"}); err != nil {
		t.Fatal(err)
	}
	printDir := t.TempDir()
	code, out, errOut = c.run("node", "install-service", "--unit-dir", printDir, "--print", "--", "--work-dir", work)
	if code != exitOK || !strings.Contains(out, "ExecStart="+systemdQuote(exe)+" node --work-dir "+systemdQuote(work)+"\n") {
		t.Errorf("--print: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if strings.Contains(out, "StateDirectory") || strings.Contains(out, "User=") {
		t.Errorf("--print: StateDirectory or User for a work dir outside /var/lib and no --user:\n%s", out)
	}
	if entries, _ := os.ReadDir(printDir); len(entries) != 0 {
		t.Errorf("--print wrote %d files", len(entries))
	}
}

func TestNodeInstallServiceRefuses(t *testing.T) {
	c := newCLI(t)
	tokenFile := writeToken(t, "enroll-1")
	noCreds := t.TempDir()
	tests := map[string]struct {
		args []string
		want string
	}{
		"bad agent flag":     {[]string{"--", "--slots", "many", "--work-dir", noCreds}, ""},
		"unknown agent flag": {[]string{"--", "--colour", "red"}, ""},
		"no way to start":    {[]string{"--", "--work-dir", noCreds}, "could not start"},
		"token but no server": {[]string{"--", "--work-dir", noCreds, "--token-file", tokenFile},
			"could not start"},
		"token in the unit": {[]string{"--", "--server", "http://h:8080", "--token", "t"}, "--token-file"},
		"relative work dir": {[]string{"--", "--server", "http://h:8080", "--token-file", tokenFile, "--work-dir", "nodes/w1"},
			"absolute path"},
		"missing token file": {[]string{"--", "--server", "http://h:8080", "--token-file", filepath.Join(noCreds, "none"), "--work-dir", noCreds},
			"--token-file"},
		"nats server URL": {[]string{"--", "--server", "nats://h:4222", "--token-file", tokenFile}, "NATS URL"},
		"bad unit name":   {[]string{"--name", "my node", "--", "--server", "http://h:8080", "--token-file", tokenFile}, "--name"},
		"bad user":        {[]string{"--user", "a b", "--", "--server", "http://h:8080", "--token-file", tokenFile}, "--user"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			unitDir := t.TempDir()
			code, _, errOut := c.run(append([]string{"node", "install-service", "--unit-dir", unitDir}, tc.args...)...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, exitUsage, tc.want)
			}
			if entries, _ := os.ReadDir(unitDir); len(entries) != 0 {
				t.Errorf("a refused install wrote %d files", len(entries))
			}
		})
	}
}
