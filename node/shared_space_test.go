package node

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestParseSharedSpaces(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ParseSharedSpaces([]string{"global=" + dir + "/", "jobs=" + dir, "user:alice.b@lab=" + dir})
	if err != nil {
		t.Fatalf("ParseSharedSpaces: %v", err)
	}
	want := map[string]string{"global": dir, "jobs": dir, "user:alice.b@lab": dir}
	if !maps.Equal(got, want) {
		t.Errorf("ParseSharedSpaces = %v, want %v", got, want)
	}
	if got, err := ParseSharedSpaces(nil); got != nil || err != nil {
		t.Errorf("ParseSharedSpaces(nil) = %v, %v; want nil, nil", got, err)
	}

	for name, tc := range map[string]struct {
		flag string
		want string
	}{
		"no equals":     {"global", "want NAME=PATH"},
		"relative path": {"global=data/spaces", "want an absolute path"},
		"missing dir":   {"jobs=" + filepath.Join(dir, "absent"), "no such file"},
		"not a dir":     {"jobs=" + file, "not a directory"},
		"unknown name":  {"input=" + dir, "unknown name"},
		"bare user":     {"user=" + dir, "unknown name"},
		"empty user":    {"user:=" + dir, "not a user name"},
		"user with /":   {"user:a/b=" + dir, "not a user name"},
		"dot-dot user":  {"user:..=" + dir, "not a user name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseSharedSpaces([]string{tc.flag})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseSharedSpaces(%q) error %v, want one mentioning %q", tc.flag, err, tc.want)
			}
		})
	}
	if _, err := ParseSharedSpaces([]string{"global=" + dir, "global=" + dir}); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("a space given twice: error %v, want one saying so", err)
	}
}

func TestValidateSharedSpaces(t *testing.T) {
	c := Config{ServerURL: "nats://x", Token: "t", WorkDir: "/tmp/x",
		SharedSpaces: map[string]string{"global": "rel", "other": t.TempDir()}}
	err := c.Validate()
	for _, want := range []string{`shared space global: want an absolute path`, `shared space "other": unknown name`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error %v does not mention %q", err, want)
		}
	}
	c.SharedSpaces = map[string]string{"global": t.TempDir()}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate with a good shared space: %v", err)
	}
}

func TestFactsCarrySharedSpaces(t *testing.T) {
	// nvidiaSMI is left alone: agents of earlier tests may still read it.
	dir := t.TempDir()
	cfg := Config{WorkDir: t.TempDir(), SharedSpaces: map[string]string{api.SharedSpaceGlobal: dir, api.SharedSpaceUserPrefix + "bob": dir}}
	f := collectFacts(cfg)
	if !maps.Equal(f.SharedSpaces, cfg.SharedSpaces) {
		t.Errorf("facts' shared spaces = %v, want %v", f.SharedSpaces, cfg.SharedSpaces)
	}
	cfg.SharedSpaces[api.SharedSpaceJobs] = dir
	if _, ok := f.SharedSpaces[api.SharedSpaceJobs]; ok {
		t.Error("facts share the config's shared spaces map")
	}
	if f := collectFacts(Config{WorkDir: t.TempDir()}); f.SharedSpaces != nil {
		t.Errorf("facts without shared spaces carry %v", f.SharedSpaces)
	}
}

// The agent's registration carries the shared spaces to the server.
func TestRegisterCarriesSharedSpaces(t *testing.T) {
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "shared")
	cfg.SharedSpaces = map[string]string{api.SharedSpaceJobs: t.TempDir()}
	startAgent(t, cfg)
	waitRegistered(t, fs, 1)
	if got := fs.registrations()[0].Facts.SharedSpaces; !maps.Equal(got, cfg.SharedSpaces) {
		t.Errorf("registered shared spaces = %v, want %v", got, cfg.SharedSpaces)
	}
}
