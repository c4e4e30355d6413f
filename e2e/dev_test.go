package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestDevDemo runs the README's first command, `shrike dev --demo`: the
// demo job must finish, its output must be shown, and Ctrl-C must stop the
// grid cleanly and remove its throwaway data dir.
func TestDevDemo(t *testing.T) {
	cmd := exec.Command(shrikeBin, "dev", "--demo",
		"--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--nats-listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out strings.Builder
	deadline := time.After(30 * time.Second)
	dirRE := regexp.MustCompile(`removes (\S+)\.`)
	var dataDir string
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("shrike dev exited early:\n%s", out.String())
			}
			out.WriteString(l + "\n")
			if m := dirRE.FindStringSubmatch(l); m != nil {
				dataDir = m[1]
			}
			done = strings.HasPrefix(l, "(again with:")
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("demo did not finish in time:\n%s", out.String())
		}
	}
	for _, want := range []string{"FINISHED in", "[B] B computes: 42", "[C] C (Lua) summed 1..100000 = 5000050000", "export SHRIKE_ADDR="} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range lines {
		}
	}()
	if err := cmd.Wait(); err != nil {
		t.Errorf("shrike dev after Ctrl-C: %v, want exit 0", err)
	}
	if dataDir == "" {
		t.Fatal("dev did not say where its data dir is")
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("data dir %s still there after exit (err %v)", dataDir, err)
	}
}

// TestWaitingReasons: a task no node can hold stays PENDING, and both the
// API and `shrike job show` say why, counted by nodes.
func TestWaitingReasons(t *testing.T) {
	g := newGrid(t)
	g.startNode("n1", 2)
	g.waitNodes("n1")
	id := g.submit("name: huge\ntasks:\n  - name: big\n    resources: {memory: 64TiB}\n    command: [\"true\"]\n")
	var reasons []api.Reason
	waitFor(t, 10*time.Second, "waiting reasons", func() bool {
		job, err := g.client.GetJob(context.Background(), id)
		if err != nil || len(job.Tasks) != 1 {
			return false
		}
		reasons = job.Tasks[0].WaitingReasons
		return job.Tasks[0].State == api.TaskPending && len(reasons) > 0
	})
	if reasons[0].Count != 1 || !strings.Contains(reasons[0].Message, "not enough memory") {
		t.Errorf("reasons = %+v, want 1 node: not enough memory", reasons)
	}
	out, code := g.cli("job", "show", fmt.Sprint(id))
	if code != 0 || !strings.Contains(out, "1 node: not enough memory") {
		t.Errorf("shrike job show: code %d\n%s", code, out)
	}
	// Clean shutdown: SIGTERM makes the server exit 0.
	if _, err := g.client.KillJob(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	_ = g.server.Process.Signal(syscall.SIGTERM)
	if err := g.server.Wait(); err != nil {
		t.Errorf("server after SIGTERM: %v, want exit 0", err)
	}
}
