package sim

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the scenarios' events.golden files")

// TestScenarios runs every scenario of testdata (cluster.yaml,
// workload.yaml) and compares its event log with events.golden. Run
// `go test ./scheduler/sim -update` to rewrite the golden files after an
// intended change, and read the diff.
func TestScenarios(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/workload.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	for _, w := range dirs {
		dir := filepath.Dir(w)
		t.Run(filepath.Base(dir), func(t *testing.T) {
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

// runScenario runs one scenario directory and returns its event log.
func runScenario(t *testing.T, dir string) []byte {
	t.Helper()
	c, err := LoadCluster(filepath.Join(dir, "cluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := LoadWorkload(filepath.Join(dir, "workload.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(c, w)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	e.Log = &log
	e.Run()
	return log.Bytes()
}
