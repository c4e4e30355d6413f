package jobspec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

const (
	// maxCycles bounds the dependency cycles listed for one job.
	maxCycles = 10
	// cycleBudget bounds the steps spent looking for more than one cycle
	// in each group of tasks that depend on each other.
	cycleBudget = 1_000_000
)

// cycleMessage renders a cycle in run order: "a → b" means b depends on a.
func cycleMessage(c []int, specs []api.TaskSpec) string {
	names := make([]string, 0, len(c)+1)
	for _, v := range c {
		names = append(names, specs[v].Name)
	}
	names = append(names, specs[c[0]].Name)
	return "dependency cycle: " + strings.Join(names, " → ")
}

// findCycles lists up to limit distinct elementary cycles of the graph
// (edges[v] lists v's successors), each once, starting at its lowest
// vertex, in lexicographic order. Every strongly connected component gets
// at least its shortest cycle through its lowest vertex (up to limit);
// more cycles are then searched with Johnson's algorithm within a budget.
func findCycles(edges [][]int, limit int) [][]int {
	comp, sizes := components(edges)
	seen := map[string]bool{}
	var out [][]int
	add := func(c []int) {
		if k := fmt.Sprint(c); !seen[k] && len(out) < limit {
			seen[k] = true
			out = append(out, c)
		}
	}
	covered := make([]bool, len(sizes))
	for v := range edges { // the lowest vertex of each component comes first
		if c := comp[v]; sizes[c] > 1 && !covered[c] {
			covered[c] = true
			add(shortestCycle(edges, comp, v))
		}
	}
	f := &johnson{edges: edges, comp: comp, blocked: make([]bool, len(edges)),
		bset: make([][]int, len(edges)), budget: cycleBudget}
	for s := range edges {
		if sizes[comp[s]] < 2 || len(out) >= limit || f.budget <= 0 {
			continue
		}
		f.found = f.found[:0]
		f.search(s, limit)
		for _, c := range f.found {
			add(c)
		}
	}
	slices.SortFunc(out, slices.Compare)
	return out
}

// components labels the strongly connected components of the graph
// (Tarjan) and returns each vertex's label and each label's size.
func components(edges [][]int) (comp, sizes []int) {
	n := len(edges)
	comp = make([]int, n)
	order := make([]int, n) // 0: not visited yet
	low := make([]int, n)
	onStack := make([]bool, n)
	var stack []int
	next := 1
	var visit func(v int)
	visit = func(v int) {
		order[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range edges[v] {
			if order[w] == 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], order[w])
			}
		}
		if low[v] != order[v] {
			return
		}
		label := len(sizes)
		sizes = append(sizes, 0)
		for w := -1; w != v; {
			w = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			comp[w] = label
			sizes[label]++
		}
	}
	for v := range edges {
		if order[v] == 0 {
			visit(v)
		}
	}
	return comp, sizes
}

// shortestCycle returns a shortest cycle through s within s's component
// (breadth-first search back to s), starting at s.
func shortestCycle(edges [][]int, comp []int, s int) []int {
	parent := map[int]int{s: -1}
	queue := []int{s}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, w := range edges[u] {
			if w == s {
				var path []int
				for x := u; x != -1; x = parent[x] {
					path = append(path, x)
				}
				slices.Reverse(path)
				return path
			}
			if _, ok := parent[w]; !ok && comp[w] == comp[s] {
				parent[w] = u
				queue = append(queue, w)
			}
		}
	}
	return []int{s} // unreachable: every vertex of a component lies on a cycle
}
