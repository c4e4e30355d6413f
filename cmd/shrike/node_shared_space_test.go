package main

import (
	"bytes"
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseAgentSharedSpaces(t *testing.T) {
	dir := t.TempDir()
	noenv := func(string) string { return "" }
	o, err := parseAgentFlags([]string{"--work-dir", "/w", "--shared-space", "global=" + dir, "--shared-space", "user:alice=" + dir,
		"--shared-space", "jobs=" + dir}, noenv, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.config(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"global": dir, "user:alice": dir, "jobs": dir}
	if !maps.Equal(cfg.SharedSpaces, want) {
		t.Errorf("shared spaces = %v, want %v", cfg.SharedSpaces, want)
	}

	for name, tc := range map[string]struct {
		flag string
		want string
	}{
		"relative path": {"global=spaces/global", "absolute path"},
		"missing dir":   {"jobs=" + filepath.Join(dir, "absent"), "no such file"},
		"bad name":      {"scratch=" + dir, "unknown name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseAgentFlags([]string{"--shared-space", tc.flag}, noenv, &bytes.Buffer{})
			var ce *codedError
			if !errors.As(err, &ce) || ce.code != exitUsage {
				t.Fatalf("--shared-space %s: error %v, want a usage error", tc.flag, err)
			}
			if !strings.Contains(err.Error(), "--shared-space") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("--shared-space %s: error %q, want one naming the flag and %q", tc.flag, err, tc.want)
			}
		})
	}
}
