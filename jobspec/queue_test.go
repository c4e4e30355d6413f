package jobspec

import (
	"strings"
	"testing"
)

func TestParseQueueAndNodes(t *testing.T) {
	doc := "name: mpi\nqueue: short\ntasks:\n  - name: solve\n    script: mpirun solve\n    nodes: 4\n    distinct_hosts: true\n  - name: post\n    script: post\n"
	spec, errs := Parse([]byte(doc))
	if errs != nil {
		t.Fatalf("Parse: %v", errs)
	}
	if spec.Queue != "short" {
		t.Errorf("queue = %q, want short", spec.Queue)
	}
	if got := spec.Tasks[0]; got.Nodes != 4 || !got.DistinctHosts {
		t.Errorf("task solve: nodes %d distinct_hosts %v, want 4 true", got.Nodes, got.DistinctHosts)
	}
	if got := spec.Tasks[1]; got.Nodes != 0 || got.DistinctHosts {
		t.Errorf("task post: nodes %d distinct_hosts %v, want the defaults", got.Nodes, got.DistinctHosts)
	}
}

func TestParseQueueAndNodesErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      want
	}{
		{"queue not a string", "name: a\nqueue: 3\ntasks: [{name: t, script: x}]\n", want{"queue", "must be a string"}},
		{"queue name", "name: a\nqueue: \"bad queue\"\ntasks: [{name: t, script: x}]\n", want{"queue", `invalid queue name "bad queue"`}},
		{"nodes zero", scriptTask("nodes: 0"), want{"tasks[0].nodes", "must be between 1 and 1024, got 0"}},
		{"nodes too many", scriptTask("nodes: 5000"), want{"tasks[0].nodes", "must be between 1 and 1024, got 5000"}},
		{"nodes text", scriptTask("nodes: many"), want{"tasks[0].nodes", "must be an integer"}},
		{"distinct_hosts text", scriptTask("distinct_hosts: yes please"), want{"tasks[0].distinct_hosts", "must be true or false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := Parse([]byte(tt.doc))
			if len(errs) != 1 || errs[0].Field != tt.want.field || !strings.Contains(errs[0].Message, tt.want.msg) {
				t.Fatalf("errors %v, want one on %s containing %q", errs, tt.want.field, tt.want.msg)
			}
		})
	}
}
