package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestDataspaces: a first task reads CSVs from the user's space and
// writes partial results to the job's output space; a dependent task on
// the other node reads them from there and writes the final file, which
// the user downloads. The nodes share no directory with the server.
func TestDataspaces(t *testing.T) {
	g := newGrid(t)
	g.startNode("a", 1)
	g.startNode("b", 1)
	g.waitNodes("a", "b")
	local := filepath.Join(g.dir, "local")
	for name, body := range map[string]string{"data/x.csv": "1\n2\n", "data/y.csv": "3\n", "data/skip.tmp": "no\n"} {
		p := filepath.Join(local, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, code := g.cli("space", "put", filepath.Join(local, "data"), "user:project/data"); code != 0 {
		t.Fatalf("space put: exit %d: %s", code, out)
	}
	if out, code := g.cli("space", "ls", "user:project/data"); code != 0 || !strings.Contains(out, "x.csv") {
		t.Fatalf("space ls: exit %d: %s", code, out)
	}
	id := g.submit(`name: pipeline
tasks:
  - name: sum
    selection: [{lua: 'return node.name == "a"'}]
    script: |
      cat project/data/*.csv | awk '{s+=$1} END {print s}' > partial.txt
      ls project/data > seen.txt
    input_files:
      - {from: user, include: ["project/data/*.csv"]}
    output_files:
      - include: [partial.txt, seen.txt]
  - name: report
    depends_on: [sum]
    selection: [{lua: 'return node.name == "b"'}]
    script: |
      echo "total $(cat partial.txt)" > report.txt
    input_files:
      - {from: output, include: [partial.txt]}
    output_files:
      - include: [report.txt]
`)
	job := g.wait(id, 60*time.Second)
	if job.State != api.JobFinished {
		t.Fatalf("job: %+v", job)
	}
	if a, b := taskByName(t, job, "sum").Node, taskByName(t, job, "report").Node; a != "a" || b != "b" {
		t.Fatalf("tasks ran on %s and %s, want a then b (the partial result crosses nodes through the server)", a, b)
	}
	dest := filepath.Join(g.dir, "results")
	if out, code := g.cli("job", "output", jobID(id), "--to", dest); code != 0 {
		t.Fatalf("job output: exit %d: %s", code, out)
	}
	report, err := os.ReadFile(filepath.Join(dest, "report.txt"))
	if err != nil || strings.TrimSpace(string(report)) != "total 6" {
		t.Fatalf("report.txt = %q (%v)", report, err)
	}
	seen, _ := os.ReadFile(filepath.Join(dest, "seen.txt"))
	if strings.Contains(string(seen), "skip.tmp") || !strings.Contains(string(seen), "x.csv") {
		t.Errorf("the task saw %q: include should have pulled only the CSVs", seen)
	}

	// A missing required input fails the task with a clear reason.
	bad := g.submit(`name: missing
tasks:
  - name: t
    script: "true"
    input_files: [{from: user, include: [nothing/here.csv]}]
`)
	job = g.wait(bad, 60*time.Second)
	if tk := job.Tasks[0]; tk.State != api.TaskFailed || !strings.Contains(tk.Error, "nothing/here.csv") {
		t.Fatalf("missing input: %+v", tk)
	}

	// Paths cannot escape a space.
	for _, p := range []string{"user:../other", "user:a/../../x", "user:/etc/passwd"} {
		if out, code := g.cli("space", "get", p, filepath.Join(g.dir, "x")); code == 0 {
			t.Errorf("space get %s succeeded: %s", p, out)
		}
	}
}
