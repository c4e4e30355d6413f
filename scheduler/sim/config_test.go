package sim

import (
	"strings"
	"testing"
)

func TestClusterErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown field", "nodes:\n  - name: a\n    cpus: 1\n    gpus: 2\n", `line 4: unknown field "gpus"`},
		{"unknown top-level field", "nodes: [{name: a, cpus: 1}]\nschedulers: 2\n", `line 2: unknown field "schedulers"`},
		{"empty document", "", "empty document"},
		{"no nodes", "queues: [{name: q}]\n", "nodes: at least one node is required"},
		{"no cpus", "nodes: [{name: a}]\n", "nodes[0].cpus: must be positive"},
		{"name and count", "nodes: [{name: a, count: 2, prefix: n, cpus: 1}]\n", "nodes[0]: give either name, or count and prefix"},
		{"count without prefix", "nodes: [{count: 2, cpus: 1}]\n", "nodes[0]: a name, or a count of at least 1 and a prefix, is required"},
		{"duplicate node", "nodes: [{count: 2, prefix: n, cpus: 1}, {name: n01, cpus: 1}]\n", "nodes[1]: node n01 is defined twice"},
		{"bad memory", "nodes: [{name: a, cpus: 1, memory: lots}]\n", `line 1: invalid size "lots"`},
		{"bad policy", "nodes: [{name: a, cpus: 1}]\nqueues: [{name: q, policy: lifo}]\n", `queues[0].policy: must be fifo or backfill, not "lifo"`},
		{"queue without name", "nodes: [{name: a, cpus: 1}]\nqueues: [{weight: 2}]\n", "queues[0].name: is required"},
		{"duplicate queue", "nodes: [{name: a, cpus: 1}]\nqueues: [{name: q}, {name: q}]\n", "queues[1].name: queue q is defined twice"},
		{"infinite weight", "nodes: [{name: a, cpus: 1}]\nqueues: [{name: q, weight: .inf}]\n", "queues[0].weight: must be finite"},
		{"negative quota", "nodes: [{name: a, cpus: 1}]\nqueues: [{name: q, max_running: -1}]\n", "queues[0]: quotas must not be negative"},
		{"bad half-life", "nodes: [{name: a, cpus: 1}]\nfair_share_half_life: soon\n", `line 2: invalid duration "soon"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCluster(strings.NewReader(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestWorkloadErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"unknown task field", "jobs:\n  - tasks:\n      - name: a\n        gpu: 1\n", `line 4: unknown field "gpu"`},
		{"unknown job field", "jobs:\n  - tasks: [{name: a}]\n    deadline: 1h\n", `line 3: unknown field "deadline"`},
		{"bad duration", "jobs: [{tasks: [{name: a, duration: 5 minutes}]}]\n", `invalid duration "5 minutes"`},
		{"bad priority", "jobs: [{priority: urgent, tasks: [{name: a}]}]\n", `jobs[0].priority: unknown priority "urgent"`},
		{"no tasks", "jobs: [{user: alice}]\n", "jobs[0].tasks: at least one task is required"},
		{"task without name", "jobs: [{tasks: [{cpu: 1}]}]\n", "jobs[0].tasks[0].name: is required"},
		{"duplicate task", "jobs: [{tasks: [{name: a}, {name: a}]}]\n", "jobs[0].tasks[1].name: task a is defined twice in the job"},
		{"unknown dependency", "jobs: [{tasks: [{name: a, depends_on: [b]}]}]\n", `jobs[0].tasks[0].depends_on: no task "b" in the job`},
		{"self dependency", "jobs: [{tasks: [{name: a, depends_on: [a]}]}]\n", "jobs[0].tasks[0].depends_on: a task cannot depend on itself"},
		{"cycle", "jobs: [{tasks: [{name: a, depends_on: [b]}, {name: b, depends_on: [a]}]}]\n", "jobs[0].tasks: dependency cycle through a"},
		{"negative cpu", "jobs: [{tasks: [{name: a, cpu: -1}]}]\n", "jobs[0].tasks[0].cpu: must not be negative"},
		{"infinite cpu", "jobs: [{tasks: [{name: a, cpu: .inf}]}]\n", "jobs[0].tasks[0].cpu: must be finite"},
		{"fail from zero", "jobs: [{tasks: [{name: a, fail: [0]}]}]\n", "jobs[0].tasks[0].fail: attempts are counted from 1, not 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseWorkload(strings.NewReader(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestUnknownQueue: a job naming a queue the cluster lacks is refused.
func TestUnknownQueue(t *testing.T) {
	c, err := ParseCluster(strings.NewReader("nodes: [{name: a, cpus: 1}]\nqueues: [{name: short}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := ParseWorkload(strings.NewReader("jobs: [{queue: short, tasks: [{name: a}]}, {queue: long, tasks: [{name: b}]}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(c, w); err == nil || !strings.Contains(err.Error(), `jobs[1].queue: no queue "long" in the cluster`) {
		t.Fatalf("error %v, want jobs[1].queue named", err)
	}
}

// TestNodeNames: count and prefix number the nodes with at least two
// digits, slots default to the CPUs, hosts to the names.
func TestNodeNames(t *testing.T) {
	c, err := ParseCluster(strings.NewReader("nodes:\n  - {count: 10, prefix: n, cpus: 4, memory: 8GiB}\n  - {name: big, cpus: 64, slots: 2, host: h1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(c, Workload{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range e.nodes {
		got = append(got, n.name+"/"+n.host)
	}
	want := "big/h1 n01/n01 n02/n02 n03/n03 n04/n04 n05/n05 n06/n06 n07/n07 n08/n08 n09/n09 n10/n10"
	if strings.Join(got, " ") != want {
		t.Fatalf("nodes %v, want %s", got, want)
	}
	if n := e.nodeByID["n07"]; n.slots != 4 || n.milliCPU != 4000 || n.memory != 8<<30 {
		t.Fatalf("n07: %+v", n)
	}
	if n := e.nodeByID["big"]; n.slots != 2 {
		t.Fatalf("big has %d slots, want 2", n.slots)
	}
}
