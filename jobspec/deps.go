package jobspec

import (
	"github.com/shrike-grid/shrike/api"
)

// checkGraph checks the task names and dependencies across the job:
// unique names, known dependencies, no self or repeated dependency, no
// cycle.
func (p *parser) checkGraph(specs []api.TaskSpec, refs []taskRefs) {
	byName := p.uniqueNames(specs, refs)
	names := make([]string, 0, len(byName)) // in document order, for stable suggestions
	for i, s := range specs {
		if refs[i].nameNode != nil && byName[s.Name] == i {
			names = append(names, s.Name)
		}
	}
	edges := make([][]int, len(specs)) // edges[d] lists the tasks depending on d
	for i := range specs {
		for _, d := range p.dependencies(i, specs[i].Name, refs[i].deps, byName, names) {
			edges[d] = append(edges[d], i)
		}
	}
	for _, c := range findCycles(edges, maxCycles) {
		p.errorf("tasks", nil, "%s", cycleMessage(c, specs))
	}
}

// dependencies checks the depends_on entries of task i, called name, and
// returns the indexes of the tasks it validly depends on.
func (p *parser) dependencies(i int, name string, deps []depRef, byName map[string]int, names []string) []int {
	var out []int
	first := map[string]int{} // position of each name's first entry
	for _, d := range deps {
		path := index(join(index("tasks", i), "depends_on"), d.pos)
		prev, dup := first[d.name]
		if !dup {
			first[d.name] = d.pos
		}
		j, known := byName[d.name]
		switch {
		case dup:
			p.errorf(path, d.node, "duplicate dependency %q (also depends_on[%d])", d.name, prev)
		case d.name == name:
			p.errorf(path, d.node, "task %q depends on itself", d.name)
		case !known:
			p.unknownTask(path, d, names)
		default:
			out = append(out, j)
		}
	}
	return out
}

// uniqueNames maps each task name to the index of its first task and
// reports later tasks that reuse it.
func (p *parser) uniqueNames(specs []api.TaskSpec, refs []taskRefs) map[string]int {
	byName := make(map[string]int, len(specs))
	for i, s := range specs {
		if refs[i].nameNode == nil {
			continue
		}
		if j, dup := byName[s.Name]; dup {
			p.errorf(join(index("tasks", i), "name"), refs[i].nameNode,
				"duplicate task name %q (also tasks[%d])", s.Name, j)
			continue
		}
		byName[s.Name] = i
	}
	return byName
}

// unknownTask reports a dependency on a task the job does not have.
func (p *parser) unknownTask(path string, d depRef, names []string) {
	if s := p.suggest(d.name, names); s != "" {
		p.errorf(path, d.node, "unknown task %q (did you mean %q?)", d.name, s)
		return
	}
	p.errorf(path, d.node, "unknown task %q", d.name)
}
