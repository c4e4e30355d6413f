package jobspec

import (
	"regexp"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"gopkg.in/yaml.v3"
)

var taskFields = []string{
	"name", "command", "script", "lua", "env", "depends_on", "resources", "max_attempts", "walltime", "node_token",
	"input_files", "output_files", "selection",
	"on_task_error", "retry_delay", "retry_backoff", "retry_elsewhere", "replicate",
	"nodes", "distinct_hosts",
}

// programFields are the ways to say what a task runs; exactly one is set.
var programFields = []string{"command", "script", "lua"}

var taskNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// taskRefs keeps the nodes of a task that checks across tasks report on.
type taskRefs struct {
	node     *yaml.Node // the task's mapping
	nameNode *yaml.Node // nil when the name is missing or not a string
	deps     []depRef
}

// depRef is one entry of depends_on.
type depRef struct {
	name string
	pos  int // position in depends_on
	node *yaml.Node
}

// task reads tasks[i].
func (p *parser) task(i int, n *yaml.Node) (api.TaskSpec, taskRefs) {
	path := index("tasks", i)
	refs := taskRefs{node: resolve(n)}
	spec := api.TaskSpec{
		Resources:   api.Resources{CPU: api.DefaultTaskCPU},
		MaxAttempts: api.DefaultMaxAttempts,
	}
	m, ok := p.object(path, n, taskFields)
	if !ok {
		return spec, refs
	}
	spec.Name, refs.nameNode = p.taskName(path, n, m["name"])
	p.program(path, n, m, &spec)
	if v := m["env"]; v != nil {
		spec.Env = p.envMap(join(path, "env"), v)
	}
	if v := m["depends_on"]; v != nil {
		spec.DependsOn, refs.deps = p.dependsOn(join(path, "depends_on"), v)
	}
	if v := m["resources"]; v != nil {
		spec.Resources = p.resources(join(path, "resources"), v)
	}
	if v := m["max_attempts"]; v != nil {
		spec.MaxAttempts = p.maxAttempts(join(path, "max_attempts"), v)
	}
	if v := m["walltime"]; v != nil {
		spec.Walltime = p.walltime(join(path, "walltime"), v)
	}
	if v := m["node_token"]; v != nil {
		spec.NodeToken = p.nodeToken(join(path, "node_token"), v)
	}
	if v := m["input_files"]; v != nil {
		spec.InputFiles = p.fileTransfers(join(path, "input_files"), v, true)
	}
	if v := m["output_files"]; v != nil {
		spec.OutputFiles = p.fileTransfers(join(path, "output_files"), v, false)
	}
	if v := m["selection"]; v != nil {
		spec.Selection = p.selection(join(path, "selection"), v)
	}
	if v := m["replicate"]; v != nil {
		spec.Replicate = p.replicate(join(path, "replicate"), v)
	}
	if v := m["nodes"]; v != nil {
		spec.Nodes = p.taskNodes(join(path, "nodes"), v)
	}
	if v := m["distinct_hosts"]; v != nil {
		if b := p.boolean(join(path, "distinct_hosts"), v); b != nil {
			spec.DistinctHosts = *b
		}
	}
	if r := p.retryPolicy(path, m); r != (retryPolicy{}) {
		for len(p.taskRetry) <= i {
			p.taskRetry = append(p.taskRetry, retryPolicy{})
		}
		p.taskRetry[i] = r
	}
	return spec, refs
}

// taskName reads a task's name; parent is the task, for a missing name.
func (p *parser) taskName(path string, parent, n *yaml.Node) (string, *yaml.Node) {
	path = join(path, "name")
	if n == nil {
		p.errorf(path, parent, "required field is missing")
		return "", nil
	}
	s, ok := p.str(path, n)
	if !ok {
		return "", nil
	}
	if !taskNameRE.MatchString(s) {
		p.errorf(path, n, "invalid task name %q: use 1 to 128 letters, digits, '_', '.' and '-', starting with a letter or digit", s)
	}
	return s, n
}

// program reads the one of command, script and lua that the task sets.
func (p *parser) program(path string, parent *yaml.Node, m map[string]*yaml.Node, spec *api.TaskSpec) {
	var set []string
	for _, f := range programFields {
		if m[f] != nil {
			set = append(set, f)
		}
	}
	switch len(set) {
	case 0:
		p.errorf(path, parent, "needs one of command, script or lua")
	case 1:
	default:
		p.errorf(path, m[set[1]], "sets %s; use exactly one of command, script or lua", strings.Join(set, " and "))
	}
	if v := m["command"]; v != nil {
		spec.Command = p.command(join(path, "command"), v)
	}
	if v := m["script"]; v != nil {
		spec.Script = p.source(join(path, "script"), v)
	}
	if v := m["lua"]; v != nil {
		spec.Lua = p.source(join(path, "lua"), v)
	}
}

// command reads an argv list: scalars, the first one a non-empty program.
func (p *parser) command(path string, n *yaml.Node) []string {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode {
		p.errorf(path, n, "must be a list of strings, got %s (use script: for a shell command line)", kindName(n))
		return nil
	}
	items, ok := p.list(path, n)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errorf(path, n, "must not be empty")
		return nil
	}
	argv := make([]string, 0, len(items))
	for i, it := range items {
		ip := index(path, i)
		if isNull(it) {
			p.errorf(ip, it, "must be a string, got null")
			continue
		}
		s, ok := p.text(ip, it)
		if ok && i == 0 && s == "" {
			p.errorf(ip, it, "the program to run must not be empty")
		}
		argv = append(argv, s)
	}
	return argv
}

// source reads a script (shell or Lua): a string that is not blank.
func (p *parser) source(path string, n *yaml.Node) string {
	s, ok := p.str(path, n)
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(path, n, "must not be empty")
	}
	return s
}

// dependsOn reads a list of task names; checkGraph resolves them.
func (p *parser) dependsOn(path string, n *yaml.Node) ([]string, []depRef) {
	items, ok := p.list(path, n)
	if !ok || len(items) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(items))
	refs := make([]depRef, 0, len(items))
	for i, it := range items {
		if s, ok := p.str(index(path, i), it); ok {
			names = append(names, s)
			refs = append(refs, depRef{name: s, pos: i, node: resolve(it)})
		}
	}
	return names, refs
}
