package jobspec

import (
	"github.com/shrike-grid/shrike/api"
)

// maxSuggestedDeps bounds how many unknown dependency names get a "did you
// mean" suggestion; each costs a scan of every task name.
const maxSuggestedDeps = 20

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
	suggestions := 0
	edges := make([][]int, len(specs)) // edges[d] lists the tasks depending on d
	for i, r := range refs {
		path := index("tasks", i)
		first := map[string]int{}
		for _, d := range r.deps {
			dp := index(join(path, "depends_on"), d.pos)
			j, known := byName[d.name]
			switch prev, dup := first[d.name]; {
			case dup:
				p.errorf(dp, d.node, "duplicate dependency %q (also depends_on[%d])", d.name, prev)
			case d.name == specs[i].Name:
				p.errorf(dp, d.node, "task %q depends on itself", d.name)
			case !known && suggestions < maxSuggestedDeps:
				suggestions++
				p.unknownTask(dp, d, names)
			case !known:
				p.errorf(dp, d.node, "unknown task %q", d.name)
			default:
				edges[j] = append(edges[j], i)
			}
			if _, dup := first[d.name]; !dup {
				first[d.name] = d.pos
			}
		}
	}
	for _, c := range findCycles(edges, maxCycles) {
		p.errorf("tasks", nil, "%s", cycleMessage(c, specs))
	}
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
	if s := suggest(d.name, names); s != "" {
		p.errorf(path, d.node, "unknown task %q (did you mean %q?)", d.name, s)
		return
	}
	p.errorf(path, d.node, "unknown task %q", d.name)
}
