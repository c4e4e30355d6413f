package sim

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the scenarios' events.golden files")

// TestScenarios runs every scenario of testdata and compares its event
// log with its events.golden. A scenario is a directory with cluster.yaml;
// its workload.yaml is in the same directory or, for variants of one
// workload under several clusters (backfill/fifo and backfill/backfill),
// in the parent. Run `go test ./scheduler/sim -update` to rewrite the
// golden files after an intended change, and read the diff.
func TestScenarios(t *testing.T) {
	var dirs []string
	for _, pattern := range []string{"testdata/*/cluster.yaml", "testdata/*/*/cluster.yaml"} {
		found, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			dirs = append(dirs, filepath.Dir(f))
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no scenarios found")
	}
	for _, dir := range dirs {
		t.Run(strings.TrimPrefix(filepath.ToSlash(dir), "testdata/"), func(t *testing.T) {
			got := runScenario(t, dir)
			golden := filepath.Join(dir, "events.golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./scheduler/sim -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("events differ from %s (go test ./scheduler/sim -update rewrites it):\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

// runScenario runs one scenario directory, checking the engine's books
// after every instant, and returns its event log.
func runScenario(t *testing.T, dir string) []byte {
	t.Helper()
	c, err := LoadCluster(filepath.Join(dir, "cluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	workload := filepath.Join(dir, "workload.yaml")
	if _, statErr := os.Stat(workload); statErr != nil {
		workload = filepath.Join(filepath.Dir(dir), "workload.yaml")
	}
	w, err := LoadWorkload(workload)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(c, w)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	e.Log = &log
	runChecked(t, e)
	return log.Bytes()
}
