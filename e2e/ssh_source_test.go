package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// indent indents every line of text by prefix, for a YAML block scalar.
func indent(text, prefix string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return prefix + strings.Join(lines, "\n"+prefix)
}

// TestSSHSource: a static ssh source, defined in a YAML file as a user
// would write it, starts two agents over SSH on a real sshd (two entries
// of the same host), runs a job on them, keeps its private key to itself,
// and undeploys: the nodes leave and the agents stop.
func TestSSHSource(t *testing.T) {
	s := startSSHD(t)
	g := newGrid(t)
	workDir := filepath.Join(t.TempDir(), "ssh-nodes")
	// Registered after the temp dirs, so it runs before they are removed:
	// agents left over by a failure must not outlive the test.
	t.Cleanup(func() {
		killProcessesUnder(workDir)
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(workDir, "*", "agent.log"))
			for _, f := range logs {
				data, _ := os.ReadFile(f)
				t.Logf("==== %s ====\n%s", f, data)
			}
		}
	})

	def := fmt.Sprintf(`name: lab
description: two agents on the test sshd
infrastructure:
  type: ssh
  params:
    hosts: %[1]s,%[1]s
    user: %[2]s
    private_key: |
%[3]s
    known_hosts: |
      # the test sshd
%[4]s
    agent_path: %[5]s
    work_dir: %[6]s
    agent_args: --slots 1 --log-level warn
    connect_timeout: 5s
    stop_grace: 2s
policy:
  type: static
`, s.addr(), s.user, indent(s.privateKey, "      "), indent(s.knownHosts, "      "), shrikeBin, workDir)
	file := filepath.Join(g.dir, "lab.yaml")
	if err := os.WriteFile(file, []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, code := g.cli("source", "create", "-f", file, "--deploy"); code != 0 {
		t.Fatalf("source create: exit %d: %s", code, out)
	}
	waitFor(t, 20*time.Second, "lab-1 and lab-2 FREE", func() bool {
		nodes := g.sourceNodes("lab")
		return len(nodes) == 2 && countStates(nodes, api.NodeFree) == 2
	})
	names := map[string]bool{}
	for _, n := range g.sourceNodes("lab") {
		names[n.Name] = true
	}
	if !names["lab-1"] || !names["lab-2"] {
		t.Fatalf("nodes of lab: %v, want lab-1 and lab-2", names)
	}
	if pids := processesUnder(workDir); len(pids) != 2 {
		t.Errorf("agent processes under the work dir: %v, want 2", pids)
	}

	show, code := g.cli("source", "show", "lab")
	if code != 0 {
		t.Fatalf("source show: exit %d: %s", code, show)
	}
	keyLines := strings.Split(strings.TrimSpace(s.privateKey), "\n")
	if !strings.Contains(show, "******") || strings.Contains(show, "PRIVATE KEY") || strings.Contains(show, keyLines[1]) {
		t.Errorf("source show does not hide the private key:\n%s", show)
	}
	if js, _ := g.cli("source", "show", "lab", "--json"); strings.Contains(js, keyLines[1]) || !strings.Contains(js, "******") {
		t.Errorf("source show --json does not hide the private key:\n%s", js)
	}

	id := g.submit(`name: over-ssh
tasks:
  - {name: a, script: "hostname; sleep 1"}
  - {name: b, script: "hostname; sleep 1"}
`)
	job := g.wait(id, 30*time.Second)
	if job.State != api.JobFinished {
		t.Fatalf("job over ssh: %+v", job)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	ran := map[string]bool{}
	for _, tk := range job.Tasks {
		if !names[tk.Node] {
			t.Errorf("task %s ran on %q, want lab-1 or lab-2", tk.Name, tk.Node)
		}
		ran[tk.Node] = true
		waitFor(t, 10*time.Second, "the output of task "+tk.Name, func() bool {
			var buf bytes.Buffer
			return g.client.TaskLog(context.Background(), id, tk.Name, api.LogOptions{}, &buf) == nil &&
				strings.Contains(buf.String(), host)
		})
	}
	if len(ran) != 2 {
		t.Errorf("tasks ran on %v, want one on each node (1 slot each)", ran)
	}

	if out, code := g.cli("source", "undeploy", "lab"); code != 0 {
		t.Fatalf("source undeploy: exit %d: %s", code, out)
	}
	waitFor(t, 20*time.Second, "the lab nodes gone", func() bool { return len(g.sourceNodes("lab")) == 0 })
	waitFor(t, 10*time.Second, "the agents started over SSH gone", func() bool { return len(processesUnder(workDir)) == 0 })
	src, err := g.client.GetSource(context.Background(), "lab")
	if err != nil || src.Status != api.SourceUndeployed {
		t.Fatalf("source after undeploy: %+v (%v)", src, err)
	}
}
