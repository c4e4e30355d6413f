package jobspec

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shrike-grid/shrike/api"
	"gopkg.in/yaml.v3"
)

// Limits of a job document.
const (
	MaxJobNameLength = 200   // characters
	MaxTasks         = 10000 // tasks in one job
)

var jobFields = []string{"name", "priority", "variables", "node_token", "walltime", "selection", "input_space", "output_space", "tasks",
	"on_task_error", "retry_delay", "retry_backoff", "retry_elsewhere", "depends_on_jobs", "start_at", "parent",
	"queue"}

// Parse reads a job document, YAML or JSON, validates all of it and returns
// the job in canonical form with defaults applied. It reports every problem
// it finds, each with the path of the field ("tasks[2].resources.memory")
// and, where known, " (line N)" at the end of the message. When there is
// any problem the returned spec is empty.
func Parse(data []byte) (api.JobSpec, []api.FieldError) {
	root, fe := decode(data)
	if fe != nil {
		return api.JobSpec{}, []api.FieldError{*fe}
	}
	p := &parser{budget: suggestBudget}
	spec := p.job(root)
	if len(p.errs) > 0 {
		return api.JobSpec{}, p.errs
	}
	return spec, nil
}

// job reads the top level of the document.
func (p *parser) job(n *yaml.Node) api.JobSpec {
	m, ok := p.object("", n, jobFields)
	if !ok {
		return api.JobSpec{}
	}
	spec := api.JobSpec{Priority: api.PriorityNormal}
	if v := m["name"]; v == nil {
		p.errorf("name", n, "required field is missing")
	} else {
		spec.Name = p.jobName(v)
	}
	if v := m["priority"]; v != nil {
		spec.Priority = p.priority(v)
	}
	if v := m["variables"]; v != nil {
		spec.Variables = p.envMap("variables", v)
	}
	jobToken := ""
	if v := m["node_token"]; v != nil {
		jobToken = p.nodeToken("node_token", v)
	}
	var jobWalltime api.Duration
	if v := m["walltime"]; v != nil {
		jobWalltime = p.walltime("walltime", v)
	}
	var jobSelection []api.SelectionScript
	if v := m["selection"]; v != nil {
		jobSelection = p.selection("selection", v)
	}
	if v := m["input_space"]; v != nil {
		spec.InputSpace = p.spaceRef("input_space", v)
	}
	if v := m["output_space"]; v != nil {
		spec.OutputSpace = p.spaceRef("output_space", v)
	}
	if v := m["depends_on_jobs"]; v != nil {
		spec.DependsOnJobs = p.jobIDs("depends_on_jobs", v)
	}
	if v := m["start_at"]; v != nil {
		spec.StartAt = p.startAt("start_at", v)
	}
	if v := m["parent"]; v != nil {
		// The server sets a job's parent (sub-jobs); a document may carry
		// one, as the canonical form of a sub-job does, but it is ignored.
		p.integer("parent", v)
	}
	if v := m["queue"]; v != nil {
		spec.Queue = p.queue("queue", v)
	}
	jobRetry := p.retryPolicy("", m)
	if v := m["tasks"]; v == nil {
		p.errorf("tasks", n, "required field is missing")
	} else {
		spec.Tasks = p.tasks(v)
	}
	for i := range spec.Tasks {
		if spec.Tasks[i].NodeToken == "" {
			spec.Tasks[i].NodeToken = jobToken // the job's default
		}
		if spec.Tasks[i].Walltime == 0 {
			spec.Tasks[i].Walltime = jobWalltime // the job's default
		}
		r := jobRetry
		if i < len(p.taskRetry) {
			r = r.over(p.taskRetry[i])
		}
		r.apply(&spec.Tasks[i])
	}
	applySelectionDefault(spec.Tasks, jobSelection)
	return spec
}

// jobIDs reads a list of job ids (depends_on_jobs): positive integers,
// each once. Whether they exist is the server's to say.
func (p *parser) jobIDs(path string, n *yaml.Node) []int64 {
	items, ok := p.list(path, n)
	if !ok {
		return nil
	}
	var out []int64
	for i, item := range items {
		id, ok := p.integer(index(path, i), item)
		switch {
		case !ok:
		case id < 1:
			p.errorf(index(path, i), item, "must be a job id (a positive integer), got %d", id)
		case slices.Contains(out, id):
			p.errorf(index(path, i), item, "job %d is listed twice", id)
		default:
			out = append(out, id)
		}
	}
	return out
}

// startAt reads an RFC 3339 time ("2026-11-22T08:00:00Z", with a zone).
func (p *parser) startAt(path string, n *yaml.Node) *time.Time {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.errorf(path, n, "must be a time like 2026-11-22T08:00:00Z, got %s", kindName(n))
		return nil
	}
	t, err := time.Parse(time.RFC3339, n.Value)
	if err != nil {
		p.errorf(path, n, "must be a time like 2026-11-22T08:00:00Z (RFC 3339, with a zone), got %q", n.Value)
		return nil
	}
	t = t.UTC()
	return &t
}

// nameRE is the shape of the names of things the server's configuration
// defines (node tokens, queues): whether one exists is for the server to
// say.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// nodeToken reads a node token name.
func (p *parser) nodeToken(path string, n *yaml.Node) string {
	s, ok := p.str(path, n)
	if ok && !nameRE.MatchString(s) {
		p.errorf(path, n, "invalid node token %q: use 1 to 64 letters, digits, '_', '.' and '-', starting with a letter or digit", s)
		return ""
	}
	return s
}

// jobName reads the job's name: 1 to MaxJobNameLength printable characters.
func (p *parser) jobName(n *yaml.Node) string {
	s, ok := p.str("name", n)
	switch {
	case !ok:
	case strings.TrimSpace(s) == "":
		p.errorf("name", n, "must not be empty")
	case utf8.RuneCountInString(s) > MaxJobNameLength:
		p.errorf("name", n, "is too long (%d characters, at most %d)", utf8.RuneCountInString(s), MaxJobNameLength)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		p.errorf("name", n, "must not contain control characters such as line breaks or tabs")
	}
	return s
}

// priority reads a priority name; "normal" when it is wrong, so that the
// walk goes on.
func (p *parser) priority(n *yaml.Node) api.Priority {
	s, ok := p.str("priority", n)
	if !ok {
		return api.PriorityNormal
	}
	v, err := api.ParsePriority(s)
	if err != nil {
		p.errorf("priority", n, "%s", err)
		return api.PriorityNormal
	}
	return v
}

// tasks reads the task list, then checks names and dependencies across it.
func (p *parser) tasks(n *yaml.Node) []api.TaskSpec {
	items, ok := p.list("tasks", n)
	switch {
	case !ok:
		return nil
	case len(items) == 0:
		p.errorf("tasks", n, "must list at least one task")
		return nil
	case len(items) > MaxTasks:
		p.errorf("tasks", n, "too many tasks (%d, at most %d)", len(items), MaxTasks)
	}
	specs := make([]api.TaskSpec, len(items))
	refs := make([]taskRefs, len(items))
	for i, it := range items {
		specs[i], refs[i] = p.task(i, it)
	}
	p.checkGraph(specs, refs)
	p.checkInstances(n, specs)
	return specs
}
