package jobspec

import (
	"math"

	"github.com/shrike-grid/shrike/api"
	"gopkg.in/yaml.v3"
)

// replicateFields are the keys of the mapping form of replicate: a range
// ({from, to, step}), or the canonical form the server stores ({count,
// from, step} or {count, values}), so that a spec read back from the
// server parses again.
var replicateFields = []string{"from", "to", "step", "count", "values"}

// replicate reads a task's replicate field into its canonical form:
//
//	replicate: 10                         # instances 0..9, SHRIKE_REPLICA 0..9
//	replicate: [a, b, c]                  # SHRIKE_REPLICA a, b, c
//	replicate: {from: 1, to: 100, step: 1} # 1, 2, ..., 100 (to inclusive)
//
// Count is always set; Step is set for integer ranges. It returns nil
// after reporting an error.
func (p *parser) replicate(path string, n *yaml.Node) *api.Replicate {
	n = resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		v, ok := p.integer(path, n)
		if !ok || !p.replicaCount(path, n, v) {
			return nil
		}
		return &api.Replicate{Count: int(v), Step: 1}
	case yaml.SequenceNode:
		values := p.replicaValues(path, n)
		if values == nil {
			return nil
		}
		return &api.Replicate{Count: len(values), Values: values}
	case yaml.MappingNode:
		return p.replicateRange(path, n)
	}
	p.errorf(path, n, "must be a count, a list of values or a range {from, to, step}, got %s", kindName(n))
	return nil
}

// replicaCount checks a number of instances.
func (p *parser) replicaCount(path string, n *yaml.Node, v int64) bool {
	switch {
	case v < 1:
		p.errorf(path, n, "must be at least 1 instance, got %d", v)
	case v > api.MaxReplicas:
		p.errorf(path, n, "too many instances (%d, at most %d)", v, api.MaxReplicas)
	default:
		return true
	}
	return false
}

// replicaValues reads the list form: one instance per scalar, its value
// as written.
func (p *parser) replicaValues(path string, n *yaml.Node) []string {
	items, ok := p.list(path, n)
	switch {
	case !ok:
		return nil
	case len(items) == 0:
		p.errorf(path, n, "must list at least one value")
		return nil
	case len(items) > api.MaxReplicas:
		p.errorf(path, n, "too many values (%d, at most %d)", len(items), api.MaxReplicas)
		return nil
	}
	values := make([]string, len(items))
	bad := false
	for i, it := range items {
		ip := index(path, i)
		if isNull(it) {
			p.errorf(ip, it, "must be a string or a number, got null")
			bad = true
			continue
		}
		s, ok := p.text(ip, it)
		bad = bad || !ok
		values[i] = s
	}
	if bad {
		return nil
	}
	return values
}

// replicateRange reads the mapping form: {from, to, step} (from defaults
// to 0, step to 1; to is inclusive), {from, count, step}, or {values}.
func (p *parser) replicateRange(path string, n *yaml.Node) *api.Replicate {
	m, ok := p.object(path, n, replicateFields)
	if !ok {
		return nil
	}
	if v := m["values"]; v != nil {
		for _, k := range []string{"from", "to", "step"} {
			if m[k] != nil {
				p.errorf(join(path, k), m[k], "cannot be used with values")
				return nil
			}
		}
		values := p.replicaValues(join(path, "values"), v)
		if values == nil {
			return nil
		}
		if c := m["count"]; c != nil {
			if cnt, ok := p.integer(join(path, "count"), c); ok && cnt != int64(len(values)) {
				p.errorf(join(path, "count"), c, "is %d but values lists %d", cnt, len(values))
				return nil
			}
		}
		return &api.Replicate{Count: len(values), Values: values}
	}
	get := func(key string, def int64) (int64, bool) {
		v := m[key]
		if v == nil {
			return def, true
		}
		x, ok := p.integer(join(path, key), v)
		if ok && (x > math.MaxInt32 || x < math.MinInt32) {
			p.errorf(join(path, key), v, "is out of range (%d)", x)
			ok = false
		}
		return x, ok
	}
	from, okFrom := get("from", 0)
	step, okStep := get("step", 1)
	if okStep && step == 0 {
		p.errorf(join(path, "step"), m["step"], "must not be 0")
		okStep = false
	}
	to, count := m["to"], m["count"]
	switch {
	case to == nil && count == nil:
		p.errorf(path, n, "needs to (the last value) or count")
		return nil
	case to != nil && count != nil:
		p.errorf(join(path, "count"), count, "cannot be used with to; give one of them")
		return nil
	}
	var cnt int64
	if count != nil {
		c, ok := p.integer(join(path, "count"), count)
		if !ok || !p.replicaCount(join(path, "count"), count, c) {
			return nil
		}
		cnt = c
	} else {
		last, ok := get("to", 0)
		if !ok || !okFrom || !okStep {
			return nil
		}
		if (last-from)*step < 0 {
			p.errorf(join(path, "step"), stepNode(m, n), "%d never reaches %d from %d", step, last, from)
			return nil
		}
		cnt = (last-from)/step + 1
		if !p.replicaCount(path, n, cnt) {
			return nil
		}
	}
	if !okFrom || !okStep {
		return nil
	}
	return &api.Replicate{Count: int(cnt), From: int(from), Step: int(step)}
}

// stepNode is the node to report a bad step on: step's own, or the range's
// when step is left to its default.
func stepNode(m map[string]*yaml.Node, n *yaml.Node) *yaml.Node {
	if s := m["step"]; s != nil {
		return s
	}
	return n
}

// checkInstances reports a job that expands to more than
// api.MaxJobInstances tasks in all.
func (p *parser) checkInstances(n *yaml.Node, specs []api.TaskSpec) {
	total := 0
	for i := range specs {
		total += specs[i].Instances()
	}
	if total > api.MaxJobInstances {
		p.errorf("tasks", n, "too many task instances (%d with the arrays' replicas, at most %d)", total, api.MaxJobInstances)
	}
}
