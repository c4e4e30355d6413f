package scheduler

import (
	"reflect"
	"testing"
)

func withTokens(n Node, tokens ...string) Node { n.Tokens = tokens; return n }
func withAccess(n Node, access ...string) Node { n.Access = access; return n }

func owned(user string, groups []string, token string, ts []QueuedTask) []QueuedTask {
	for i := range ts {
		ts[i].User, ts[i].Groups, ts[i].Token = user, groups, token
	}
	return ts
}

func TestEligibility(t *testing.T) {
	gpu := withTokens(node("gpu", 4, "8GiB", 4), "gpu-team")
	physics := withAccess(node("phys", 4, "8GiB", 4), "group:physics", "user:carol")
	open := node("open", 1, "8GiB", 1)
	cases := []struct {
		name  string
		nodes []Node
		queue []QueuedTask
		want  Plan
	}{
		{
			name:  "a task without a token never lands on a node that carries one",
			nodes: []Node{gpu},
			queue: owned("alice", nil, "", tasks(1, 1, 1, "1GiB")),
			want:  Plan{Unplaced: []Unplaced{unplaced(101, reason(1, msgTokenCarried))}},
		},
		{
			name:  "a task with the token goes to the node that carries it, even when another is tighter",
			nodes: []Node{open, gpu},
			queue: owned("alice", nil, "gpu-team", tasks(1, 1, 1, "1GiB")),
			want:  Plan{Placements: []Placement{placed(101, "gpu")}},
		},
		{
			name:  "a task with a token no node carries waits, saying why",
			nodes: []Node{open, gpu},
			queue: owned("alice", nil, "render", tasks(1, 1, 1, "1GiB")),
			want:  Plan{Unplaced: []Unplaced{unplaced(101, reason(2, msgTokenMissing("render")))}},
		},
		{
			name:  "access by group and by user",
			nodes: []Node{physics},
			queue: concat(owned("bob", []string{"physics"}, "", tasks(1, 1, 1, "1GiB")), owned("carol", nil, "", tasks(2, 1, 1, "1GiB")),
				owned("dave", []string{"chemistry"}, "", tasks(3, 1, 1, "1GiB"))),
			want: Plan{
				Placements: []Placement{placed(101, "phys"), placed(201, "phys")},
				Unplaced:   []Unplaced{unplaced(301, reason(1, msgAccessDenied))},
			},
		},
		{
			name:  "a rejected shape of one user does not reject another user's task",
			nodes: []Node{physics},
			queue: concat(owned("dave", nil, "", tasks(1, 1, 1, "1GiB")), owned("bob", []string{"physics"}, "", tasks(2, 1, 1, "1GiB"))),
			want: Plan{
				Placements: []Placement{placed(201, "phys")},
				Unplaced:   []Unplaced{unplaced(101, reason(1, msgAccessDenied))},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Schedule(Snapshot{Nodes: tc.nodes, Queue: tc.queue})
			if !reflect.DeepEqual(got.Placements, tc.want.Placements) || !reflect.DeepEqual(got.Unplaced, tc.want.Unplaced) {
				t.Fatalf("plan:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestSelectionClasses(t *testing.T) {
	nodes := []Node{node("a", 4, "8GiB", 4), node("b", 4, "8GiB", 4), node("c", 1, "1GiB", 1)}
	gpuOnly := Class{Rejects: []string{"gpu.lua returned false", "", "gpu.lua returned false"}}
	none := Class{Rejects: []string{"linux.lua returned false", "linux.lua returned false", "linux.lua returned false"}}
	withClass := func(class int, ts []QueuedTask) []QueuedTask {
		for i := range ts {
			ts[i].Class = class
		}
		return ts
	}
	queue := concat(withClass(1, tasks(1, 2, 1, "1GiB")), withClass(2, tasks(2, 1, 1, "1GiB")), tasks(3, 1, 1, "1GiB"))
	got := Schedule(Snapshot{Nodes: nodes, Queue: queue, Classes: []Class{gpuOnly, none}})
	want := Plan{
		Placements: []Placement{placed(101, "b"), placed(102, "b"), placed(301, "c")},
		Unplaced:   []Unplaced{unplaced(201, reason(3, "linux.lua returned false"))},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plan:\n got %+v\nwant %+v", got, want)
	}
}
