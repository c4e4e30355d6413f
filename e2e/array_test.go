package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestArrayExample runs the shipped examples/array.yaml with the real
// binary: ten instances square their SHRIKE_REPLICA and push the result
// to the job's OUTPUT space; the task that depends on the array starts
// after all of them and adds the ten files up. The CLI shows the array in
// one row, and every instance with --tasks.
func TestArrayExample(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 3)
	g.startNode("n2", 3)
	g.waitNodes("n1", "n2")

	out, code := g.cli("job", "submit", "--json", "../examples/array.yaml")
	if code != 0 {
		t.Fatalf("submit: exit %d: %s", code, out)
	}
	var id int64
	if _, err := fmt.Sscanf(strings.TrimSpace(out[strings.Index(out, `"id"`):]), `"id": %d`, &id); err != nil {
		t.Fatalf("submit output %q: %v", out, err)
	}
	job := g.wait(id, 60*time.Second)
	if job.State != api.JobFinished || len(job.Tasks) != 11 {
		t.Fatalf("job = %s with %d tasks, want FINISHED with 11: %+v", job.State, len(job.Tasks), job.Tasks)
	}
	var lastSquare time.Time
	for i, tk := range job.Tasks[:10] {
		if want := fmt.Sprintf("square[%d]", i); tk.Name != want || tk.Replica != fmt.Sprint(i+1) || tk.State != api.TaskFinished {
			t.Errorf("task %d = %s replica %q %s; want %s replica %d FINISHED", i, tk.Name, tk.Replica, tk.State, want, i+1)
		}
		if tk.FinishedAt != nil && tk.FinishedAt.After(lastSquare) {
			lastSquare = *tk.FinishedAt
		}
	}
	if sum := job.Tasks[10]; sum.Name != "sum" || sum.StartedAt == nil || sum.StartedAt.Before(lastSquare) {
		t.Errorf("sum = %+v; want it started after the last instance finished (%v)", sum, lastSquare)
	}
	logs, code := g.cli("job", "logs", fmt.Sprint(id), "sum")
	if code != 0 || !strings.Contains(logs, "sum of 10 squares: 385") {
		t.Errorf("sum's log (exit %d): %q; want the sum of 10 squares, 385", code, logs)
	}
	logs, code = g.cli("job", "logs", fmt.Sprint(id), "square[3]")
	if code != 0 || !strings.Contains(logs, "instance 3: 4 squared is 16") {
		t.Errorf("square[3]'s log (exit %d): %q", code, logs)
	}
	show, _ := g.cli("job", "show", fmt.Sprint(id))
	if !strings.Contains(show, "square[0..9]") || !strings.Contains(show, "10 FINISHED") || strings.Contains(show, "square[4]") {
		t.Errorf("job show:\n%s\nwant the array in one row, square[0..9] with 10 FINISHED", show)
	}
	all, _ := g.cli("job", "show", "--tasks", fmt.Sprint(id))
	if !strings.Contains(all, "square[9]") {
		t.Errorf("job show --tasks lacks square[9]:\n%s", all)
	}
}
