package main

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
	"github.com/shrike-grid/shrike/rest"
)

// putOutput stores files in job id's output space, as a node's push would.
func putOutput(t *testing.T, c *cli, id int64, files map[string]string) {
	t.Helper()
	sp, err := c.fake.JobSpace(context.Background(), rest.Principal{Name: "alice", Role: api.RoleUser}, id, api.SpaceOutput)
	if err != nil {
		t.Fatal(err)
	}
	for p, content := range files {
		if _, err := sp.Put(context.Background(), p, strings.NewReader(content), dataspace.PutOptions{}); err != nil {
			t.Fatalf("put %s: %v", p, err)
		}
	}
}

func TestJobOutput(t *testing.T) {
	c := newSpaceCLI(t)
	id := c.submitAsAlice("out")
	files := map[string]string{"results/a.csv": "a", "results/deep/b.csv": "b", "log.txt": "log", "tmp/x.csv": "x"}
	putOutput(t, c, id, files)

	t.Chdir(t.TempDir())
	if out := c.mustRun("job", "output", "1"); !strings.Contains(out, "Downloaded 4 files") || !strings.Contains(out, "job-1-output") {
		t.Errorf("output said %q", out)
	}
	if got := readTree(t, "job-1-output"); !maps.Equal(got, files) {
		t.Errorf("downloaded %v, want %v", got, files)
	}

	to := filepath.Join(t.TempDir(), "csv")
	c.mustRun("job", "output", "1", "--to", to, "--include", "**/*.csv", "--exclude", "tmp/**")
	want := map[string]string{"results/a.csv": "a", "results/deep/b.csv": "b"}
	if got := readTree(t, to); !maps.Equal(got, want) {
		t.Errorf("filtered download %v, want %v", got, want)
	}

	out := c.mustRun("job", "output", "1", "--list", "--include", "*.txt")
	if !strings.Contains(out, "log.txt") || strings.Contains(out, ".csv") {
		t.Errorf("--list:\n%s", out)
	}
}

func TestJobOutputErrors(t *testing.T) {
	c := newSpaceCLI(t)
	c.submitAsAlice("out")
	if code, _, errOut := c.run("job", "output", "2"); code != exitErr || !strings.Contains(errOut, "not found") {
		t.Errorf("unknown job: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := c.run("job", "output", "1", "--include", "[bad"); code != exitErr || !strings.Contains(errOut, "include") {
		t.Errorf("bad glob: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := c.run("job", "output"); code != exitUsage {
		t.Errorf("no id: exit %d, want %d", code, exitUsage)
	}
}
