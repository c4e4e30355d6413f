package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/shrike-grid/shrike/node"
)

// Defaults of `shrike node install-service`.
const (
	defaultUnitDir        = "/etc/systemd/system"
	defaultServiceName    = "shrike-node"
	defaultServiceWorkDir = "/var/lib/shrike-node"
)

var (
	unitNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@:-]*$`)
	unixUserRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	// stateDirRE matches a work dir systemd can create for the service
	// user (StateDirectory=): one directory right under /var/lib.
	stateDirRE = regexp.MustCompile(`^/var/lib/([A-Za-z0-9_.-]+)$`)
)

// cmdNodeInstallService is `shrike node install-service`: write a systemd
// unit that runs this binary as a node agent with the given agent flags.
func cmdNodeInstallService(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "node install-service", "[flags] [-- agent flags...]",
		"Writes a systemd unit running this binary as a node agent with the agent flags after --\n"+
			"(see 'shrike node -h'). The agent must be able to start: it needs credentials\n"+
			"(shrike node join) or --server and --token-file to join. Paths must be absolute;\n"+
			"--work-dir defaults to "+defaultServiceWorkDir+".",
		"shrike node install-service --user grid -- --server http://10.0.0.5:8080 --token-file /etc/shrike/enroll-token --slots 8")
	unitDir := fs.String("unit-dir", defaultUnitDir, "directory to write the unit in")
	name := fs.String("name", defaultServiceName, "service name")
	user := fs.String("user", "", "user the agent runs as (default: root)")
	printOnly := fs.Bool("print", false, "print the unit instead of writing it")
	agentArgs, err := parseArgs(fs, args, -1)
	if err != nil {
		return err
	}
	svc := strings.TrimSuffix(*name, ".service")
	if !unitNameRE.MatchString(svc) {
		return usageErrorf("--name %q: want letters, digits and _.@:- (a systemd unit name)", *name)
	}
	if *user != "" && !unixUserRE.MatchString(*user) {
		return usageErrorf("--user %q: not a user name", *user)
	}
	agentArgs, o, err := serviceAgentArgs(e, agentArgs)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("install-service: finding this binary: %w", err)
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return fmt.Errorf("install-service: finding this binary: %w", err)
	}
	unit := systemdUnit(unitSpec{exe: exe, args: agentArgs, user: *user, workDir: o.workDir})
	if *printOnly {
		fmt.Fprint(e.stdout, unit)
		return nil
	}
	path := filepath.Join(*unitDir, svc+".service")
	if err := writeUnit(path, unit); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Wrote %s\nStart it: systemctl daemon-reload && systemctl enable --now %s\n", path, svc)
	return nil
}

// serviceAgentArgs checks the agent flags of a service: they parse (as
// the service will see them: without the SHRIKE_NODE_* variables), paths
// are absolute, no token is written into the world-readable unit, and the
// agent has credentials or can join. It adds --work-dir when missing.
func serviceAgentArgs(e *env, args []string) ([]string, *agentOptions, error) {
	noEnv := func(string) string { return "" }
	o, err := parseAgentFlags(args, noEnv, e.stderr)
	if err != nil {
		return nil, nil, fmt.Errorf("install-service: the agent flags: %w", err)
	}
	if o.given["token"] {
		return nil, nil, usageErrorf("install-service: --token would be written into the unit file, which everyone may read: use --token-file")
	}
	if !o.given["work-dir"] && !o.given["work"] {
		args = append(args, "--work-dir", defaultServiceWorkDir)
		o.workDir = defaultServiceWorkDir
	}
	var errs []error
	for _, p := range []struct{ flag, value string }{
		{"--work-dir", o.workDir}, {"--credentials", o.credentials}, {"--token-file", o.tokenFile},
		{"--facts-file", o.factsFile}, {"--owner-file", o.ownerFile},
	} {
		if p.value != "" && !filepath.IsAbs(p.value) {
			errs = append(errs, fmt.Errorf("%s %q: a service needs an absolute path", p.flag, p.value))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, usageErr(fmt.Errorf("install-service: %w", err))
	}
	if err := serviceCanStart(o); err != nil {
		return nil, nil, err
	}
	return args, o, nil
}

// serviceCanStart checks that the agent will have credentials: a valid
// credentials file, or what it needs to join.
func serviceCanStart(o *agentOptions) error {
	path := o.credentialsPath()
	_, err := node.ReadCredentials(path)
	if err == nil {
		return nil
	}
	if !errors.Is(err, node.ErrNoCredentials) {
		return fmt.Errorf("install-service: %w", err)
	}
	if o.tokenFile == "" || o.server == "" {
		return usageErrorf("install-service: no credentials file %s and nothing to join with, so the service could not start: "+
			"run 'shrike node join' first, or give --server URL and --token-file FILE after --", path)
	}
	if _, err := os.Stat(o.tokenFile); err != nil {
		return usageErrorf("install-service: --token-file: %v", err)
	}
	return nil
}

// unitSpec is what goes into the unit.
type unitSpec struct {
	exe     string   // absolute path of this binary
	args    []string // the agent flags
	user    string   // "" runs as root
	workDir string   // absolute
}

// systemdUnit writes the unit file's text.
func systemdUnit(u unitSpec) string {
	cmd := []string{systemdQuote(u.exe), "node"}
	for _, a := range u.args {
		cmd = append(cmd, systemdQuote(a))
	}
	var b strings.Builder
	b.WriteString("# Written by 'shrike node install-service'.\n")
	b.WriteString("[Unit]\nDescription=Shrike node agent\n")
	b.WriteString("After=network-online.target\nWants=network-online.target\n\n")
	b.WriteString("[Service]\nType=simple\n")
	fmt.Fprintf(&b, "ExecStart=%s\n", strings.Join(cmd, " "))
	if u.user != "" {
		fmt.Fprintf(&b, "User=%s\n", u.user)
	}
	if m := stateDirRE.FindStringSubmatch(u.workDir); m != nil {
		// systemd creates the work dir, owned by the service's user.
		fmt.Fprintf(&b, "StateDirectory=%s\nStateDirectoryMode=0700\n", m[1])
	}
	b.WriteString("Restart=always\nRestartSec=5\n")
	b.WriteString("# SIGTERM goes to the agent alone: it stops its tasks itself (SIGTERM, then\n")
	b.WriteString("# SIGKILL after their kill grace); whatever is left is killed after the timeout.\n")
	b.WriteString("KillMode=mixed\nTimeoutStopSec=60\n")
	b.WriteString("LimitNOFILE=65536\n")
	b.WriteString("# No sandboxing (ProtectSystem=, NoNewPrivileges=...): tasks get the host as it is.\n\n")
	b.WriteString("[Install]\nWantedBy=multi-user.target\n")
	return b.String()
}

// systemdQuote writes one command-line word for a unit file: systemd
// expands %-specifiers and $VARIABLES everywhere, so % and $ are doubled;
// a word with anything but plain characters is double-quoted, with \ and
// " escaped and control characters as C escapes.
func systemdQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	s = strings.ReplaceAll(s, "$", "$$")
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plainRune(r) }) < 0 {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// plainRune reports whether r needs no quoting in a unit's command line.
func plainRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("-_./:=,+@%$", r)
}

// writeUnit writes the unit file atomically, mode 0644.
func writeUnit(path, unit string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".shrike-unit-*")
	if err != nil {
		return fmt.Errorf("install-service: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.WriteString(unit); err != nil {
		tmp.Close()
		return fmt.Errorf("install-service: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("install-service: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("install-service: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("install-service: %w", err)
	}
	return nil
}
