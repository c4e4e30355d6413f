package jobspec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// depsDoc builds a job from "task:dep,dep" items, each task a script.
func depsDoc(items ...string) string {
	var b strings.Builder
	b.WriteString("name: graph\ntasks:\n")
	for _, it := range items {
		name, deps, _ := strings.Cut(it, ":")
		fmt.Fprintf(&b, "- {name: %s, script: x, depends_on: [%s]}\n", name, deps)
	}
	return b.String()
}

func TestParseCycles(t *testing.T) {
	tests := []struct {
		name  string
		items []string
		want  []string // the cycles, in run order
	}{
		{"diamond has none", []string{"a:", "b:a", "c:a", "d:b,c"}, nil},
		{"two tasks", []string{"a:b", "b:a"}, []string{"a → b → a"}},
		{"three tasks", []string{"a:c", "b:a", "c:b"}, []string{"a → b → c → a"}},
		{"with a tail outside", []string{"x:", "a:x,c", "b:a", "c:b", "y:c"}, []string{"a → b → c → a"}},
		{"two separate cycles", []string{"a:b", "b:a", "c:", "d:e", "e:d"},
			[]string{"a → b → a", "d → e → d"}},
		{"figure eight", []string{"a:b", "b:a,c", "c:b"}, []string{"a → b → a", "b → c → b"}},
		{"shortcut and long way", []string{"a:d", "b:a", "c:b", "d:c,a"},
			[]string{"a → b → c → d → a", "a → d → a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var wants []want
			for _, c := range tt.want {
				wants = append(wants, want{"tasks", "dependency cycle: " + c})
			}
			if wants == nil {
				if _, errs := Parse([]byte(depsDoc(tt.items...))); len(errs) > 0 {
					t.Fatalf("Parse: unexpected errors\n%s", listErrors(errs))
				}
				return
			}
			assertErrors(t, depsDoc(tt.items...), wants)
		})
	}
}

func TestFindCycles(t *testing.T) {
	complete := func(n int) [][]int { // every vertex precedes every other
		g := make([][]int, n)
		for v := range g {
			for w := range n {
				if w != v {
					g[v] = append(g[v], w)
				}
			}
		}
		return g
	}
	ring := func(n int) [][]int {
		g := make([][]int, n)
		for v := range g {
			g[v] = []int{(v + 1) % n}
		}
		return g
	}
	tests := []struct {
		name  string
		edges [][]int
		limit int
		want  int   // number of cycles
		first []int // the first cycle, when it matters
	}{
		{"acyclic", [][]int{{1, 2}, {3}, {3}, nil}, 10, 0, nil},
		{"K4 has 20 cycles", complete(4), 100, 20, []int{0, 1}},
		{"K6 capped", complete(6), 10, 10, []int{0, 1}},
		{"long ring", ring(10000), 10, 1, nil},
		{"ring then a small cycle", append(ring(3000), []int{3001}, []int{3000}), 10, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := findCycles(tt.edges, tt.limit)
			if len(got) != tt.want {
				t.Fatalf("findCycles: got %d cycles, want %d", len(got), tt.want)
			}
			if tt.first != nil && !reflect.DeepEqual(got[0], tt.first) {
				t.Errorf("first cycle = %v, want %v", got[0], tt.first)
			}
			seen := map[string]bool{}
			for _, c := range got {
				if seen[fmt.Sprint(c)] {
					t.Errorf("cycle %v listed twice", c)
				}
				seen[fmt.Sprint(c)] = true
			}
		})
	}
}
