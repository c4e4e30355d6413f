package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestServerKilledRepeatedly kills the server with SIGKILL three times, at
// random moments, while a layered DAG runs on two nodes (each task of a
// layer depends on every task of the layer before). Whatever the moments:
// the job finishes, every task runs exactly once, at the attempt the job
// records, and no task starts before all of its dependencies ended.
func TestServerKilledRepeatedly(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))

	g := newGrid(t)
	g.startNode("n1", 2)
	g.startNode("n2", 2)
	g.waitNodes("n1", "n2")
	out := t.TempDir()
	const layers, width = 5, 6
	var doc strings.Builder
	fmt.Fprintf(&doc, "name: chaos\nvariables: {OUT: %s}\ntasks:\n", out)
	for l := range layers {
		for w := range width {
			fmt.Fprintf(&doc, "  - name: l%dt%d\n", l, w)
			if l > 0 {
				deps := make([]string, width)
				for d := range width {
					deps[d] = fmt.Sprintf("l%dt%d", l-1, d)
				}
				fmt.Fprintf(&doc, "    depends_on: [%s]\n", strings.Join(deps, ", "))
			}
			fmt.Fprintf(&doc, "    script: |\n      echo \"start $SHRIKE_TASK $SHRIKE_ATTEMPT\" >> \"$OUT/journal\"\n      sleep 0.%d\n      echo \"end $SHRIKE_TASK $SHRIKE_ATTEMPT\" >> \"$OUT/journal\"\n", 3+rng.IntN(6))
		}
	}
	id := g.submit(doc.String())
	for k := range 3 {
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond)
		t.Logf("kill %d with %d task starts journaled", k+1, strings.Count(readFileOrEmpty(filepath.Join(out, "journal")), "start "))
		g.killServer()
		time.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond)
		g.startServer()
	}
	job := g.wait(id, 90*time.Second)
	if job.State != api.JobFinished {
		t.Fatalf("job %s after repeated kills: %+v", job.State, job.Tasks)
	}

	starts := map[string]int{} // task → attempt that started
	ends := map[string]int{}   // task → position of its end line
	for i, line := range readLines(t, filepath.Join(out, "journal")) {
		var what, name string
		var attempt int
		if _, err := fmt.Sscanf(line, "%s %s %d", &what, &name, &attempt); err != nil {
			t.Fatalf("bad journal line %q", line)
		}
		switch what {
		case "start":
			if prev, twice := starts[name]; twice {
				t.Errorf("task %s started twice (attempts %d and %d)", name, prev, attempt)
			}
			starts[name] = attempt
			if l := layerOf(name); l > 0 {
				for d := range width {
					dep := fmt.Sprintf("l%dt%d", l-1, d)
					if _, ended := ends[dep]; !ended {
						t.Errorf("task %s started (line %d) before its dependency %s ended", name, i+1, dep)
					}
				}
			}
		case "end":
			ends[name] = i
		}
	}
	for _, tk := range job.Tasks {
		if tk.State != api.TaskFinished || starts[tk.Name] != tk.Attempt {
			t.Errorf("task %s: %s at attempt %d in the job, started at attempt %d", tk.Name, tk.State, tk.Attempt, starts[tk.Name])
		}
	}
}

func readFileOrEmpty(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}

func layerOf(name string) int {
	var l, w int
	_, _ = fmt.Sscanf(name, "l%dt%d", &l, &w)
	return l
}
