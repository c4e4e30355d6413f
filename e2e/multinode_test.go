package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestMultiNodeExample runs examples/multinode.yaml on three one-slot
// node agents: the task runs on one node, starts a worker on each of the
// two others with `shrike task exec` (the real binary, found through the
// PATH the agent gives its tasks, logged in with the task's own token) and
// prints their results.
func TestMultiNodeExample(t *testing.T) {
	g := newGrid(t)
	for _, n := range []string{"m1", "m2", "m3"} {
		g.startNode(n, 1)
	}
	g.waitNodes("m1", "m2", "m3")
	doc, err := os.ReadFile(filepath.Join("..", "examples", "multinode.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	id := g.submit(string(doc))
	job := g.wait(id, 60*time.Second)
	out, _ := g.cli("job", "logs", strconv.FormatInt(id, 10), "gather")
	if job.State != api.JobFinished {
		t.Fatalf("job %s, want FINISHED; output:\n%s", job.State, out)
	}
	first := taskByName(t, job, "gather").Node
	m := regexp.MustCompile(`(?m)^first node (m\d) of 3: (m\d),(m\d),(m\d)$`).FindStringSubmatch(out)
	if m == nil || m[1] != first || m[2] != first {
		t.Fatalf("the first line does not name the task's node %s first:\n%s", first, out)
	}
	workers := regexp.MustCompile(`(?m)^worker on (m\d): 1\^2 \+ \.\.\. \+ (\d+)\^2 = (\d+)$`).FindAllStringSubmatch(out, -1)
	if len(workers) != 2 || workers[0][1] != m[3] || workers[1][1] != m[4] || m[3] == m[4] || m[3] == first || m[4] == first {
		t.Fatalf("want one worker on each other node (%s, %s):\n%s", m[3], m[4], out)
	}
	for _, w := range workers {
		n, _ := strconv.Atoi(w[2])
		if want := strconv.Itoa(n * (n + 1) * (2*n + 1) / 6); w[3] != want {
			t.Errorf("worker on %s: sum of squares to %d = %s, want %s", w[1], n, w[3], want)
		}
	}
	if !strings.Contains(out, "summary: 2 workers, total 3002500500\n") {
		t.Errorf("no summary:\n%s", out)
	}
}

// TestTaskExecFromOutside execs into a running multi-node task from the
// CLI (--job, --task): output and exit code come back, a node not the
// task's is refused with 255, and killing the job kills what was exec'd.
func TestTaskExecFromOutside(t *testing.T) {
	g := newGrid(t)
	for _, n := range []string{"x1", "x2"} {
		g.startNode(n, 1)
	}
	g.waitNodes("x1", "x2")
	id := g.submit("name: held\ntasks:\n  - name: t\n    nodes: 2\n    resources: {cpu: 0.1}\n    script: sleep 300\n")
	task := g.waitTask(id, "t", api.TaskRunning, 30*time.Second)
	other := map[string]string{"x1": "x2", "x2": "x1"}[task.Node]
	jobArgs := []string{"task", "exec", "--job", strconv.FormatInt(id, 10), "--task", "t"}

	var out string
	code := -1
	waitFor(t, 10*time.Second, "an exec into the hold", func() bool { // the hold may still be starting
		out, code = g.cli(append(jobArgs, other, `echo "$SHRIKE_NODE $SHRIKE_NODES"; exit 6`)...)
		return code != 255
	})
	if want := other + " " + task.Node + "," + other + "\n"; code != 6 || out != want {
		t.Errorf("exec: exit %d, stdout %q; want 6, %q", code, out, want)
	}
	if _, code := g.cli(append(jobArgs, "x9", "true")...); code != 255 {
		t.Errorf("exec on a node not the task's: exit %d, want 255", code)
	}

	// A long command on the hold, its client in the background.
	bg := exec.Command(shrikeBin, append(jobArgs, other, "echo $$; exec sleep 301")...)
	bg.Env = append(os.Environ(), "SHRIKE_ADDR="+g.url(), "SHRIKE_TOKEN="+g.token, "HOME="+g.dir)
	stdout, err := bg.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	bg.Stderr = os.Stderr
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- l
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var pid int
	select {
	case l := <-line:
		if pid, err = strconv.Atoi(strings.TrimSpace(l)); err != nil {
			t.Fatalf("the long command printed %q, want its pid", l)
		}
	case <-time.After(30 * time.Second):
		_ = bg.Process.Kill()
		t.Fatal("the long command did not start")
	}
	if _, code := g.cli("job", "kill", strconv.FormatInt(id, 10)); code != 0 {
		t.Fatalf("job kill: exit %d", code)
	}
	done := make(chan error, 1)
	go func() { done <- bg.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 128+int(syscall.SIGTERM) {
			t.Errorf("the exec client after the job's kill: %v, want exit %d", err, 128+int(syscall.SIGTERM))
		}
	case <-time.After(30 * time.Second):
		_ = bg.Process.Kill()
		t.Fatal("the exec client did not end when the job was killed")
	}
	waitFor(t, 10*time.Second, fmt.Sprintf("process %d killed", pid), func() bool {
		return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
	})
}

// TestMultiNodeMPI runs Open MPI's mpirun in a multi-node task with
// `shrike task exec` as its rsh agent and the nodes file as its host file
// (docs/jobs.md): one rank on each node. It needs mpirun on the PATH.
func TestMultiNodeMPI(t *testing.T) {
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Skip("mpirun is not installed (apt-get install openmpi-bin)")
	}
	asRoot := ""
	if os.Geteuid() == 0 {
		asRoot = "--allow-run-as-root "
	}
	g := newGrid(t)
	for _, n := range []string{"p1", "p2", "p3"} {
		g.startNode(n, 1)
	}
	g.waitNodes("p1", "p2", "p3")
	id := g.submit(`name: mpi
tasks:
  - name: mpi
    nodes: 3
    resources: {cpu: 0.1}
    walltime: 2m
    script: |
      mpirun ` + asRoot + `-np "$SHRIKE_NODE_COUNT" --map-by node --hostfile "$SHRIKE_NODEFILE" \
        --mca plm_rsh_agent "shrike task exec" \
        sh -c 'echo "rank $OMPI_COMM_WORLD_RANK of $OMPI_COMM_WORLD_SIZE on $SHRIKE_NODE"'
`)
	job := g.wait(id, 90*time.Second)
	out, _ := g.cli("job", "logs", strconv.FormatInt(id, 10), "mpi")
	if job.State != api.JobFinished {
		t.Fatalf("job %s, want FINISHED; output:\n%s", job.State, out)
	}
	nodes := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^rank \d of 3 on (p\d)$`).FindAllStringSubmatch(out, -1) {
		nodes[m[1]] = true
	}
	if len(nodes) != 3 {
		t.Errorf("want one rank on each of p1, p2, p3:\n%s", out)
	}
}
