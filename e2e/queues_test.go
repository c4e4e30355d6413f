package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestQueues: a server configured with a queue whose quota is one running
// task; a job submitted to it from the CLI (--queue) runs its tasks one
// at a time on a node with room for two, shows its queue, and the queue
// listings show it and its usage; an unknown queue is refused.
func TestQueues(t *testing.T) {
	g := newGridConfig(t, "queues:\n  - name: short\n    policy: backfill\n    max_running: 1\nfair_share_half_life: 1h\n")
	g.startNode("n1", 2)
	g.waitNodes("n1")
	file := filepath.Join(t.TempDir(), "job.yaml")
	doc := "name: q\ntasks:\n  - name: a\n    command: [sleep, \"0.5\"]\n  - name: b\n    command: [sleep, \"0.5\"]\n"
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := g.cli("job", "submit", file, "--queue", "long"); code != 1 {
		t.Fatalf("submit to an unknown queue: exit %d, %s", code, out)
	}
	out, code := g.cli("job", "submit", file, "--queue", "short", "--wait", "--json")
	if code != 0 {
		t.Fatalf("submit --wait: exit %d, %s", code, out)
	}
	var job api.Job
	if err := json.Unmarshal([]byte(out), &job); err != nil || job.State != api.JobFinished || job.Queue != "short" {
		t.Fatalf("job %+v, %v: want FINISHED in queue short", job, err)
	}
	slices.SortFunc(job.Tasks, func(a, b api.Task) int { return a.StartedAt.Compare(*b.StartedAt) })
	if job.Tasks[1].StartedAt.Before(*job.Tasks[0].FinishedAt) {
		t.Errorf("the tasks overlapped in a queue with max_running 1")
	}
	if out, _ := g.cli("job", "show", fmt.Sprint(job.ID)); !strings.Contains(out, "short") {
		t.Errorf("job show does not print the queue:\n%s", out)
	}
	waitFor(t, 10*time.Second, "usage in queue ls", func() bool {
		out, _ := g.cli("queue", "ls", "--json")
		var qs []api.Queue
		return json.Unmarshal([]byte(out), &qs) == nil && len(qs) == 2 && qs[0].Name == "short" && qs[0].Usage > 0 &&
			qs[1].Name == api.DefaultQueue
	})
	out, code = g.cli("queue", "show", "short")
	if code != 0 || !strings.Contains(out, "backfill") || !strings.Contains(out, "max_running 1") || !strings.Contains(out, "admin") {
		t.Errorf("queue show short: exit %d\n%s", code, out)
	}
}
