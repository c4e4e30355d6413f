package jobspec

import (
	"time"

	"github.com/shrike-grid/shrike/api"
	"gopkg.in/yaml.v3"
)

// MaxRetryDelay is the longest retry_delay a job may ask for.
const MaxRetryDelay = api.Duration(time.Hour)

// retryFields are the failure-handling fields a job sets as defaults and
// a task overrides.
var retryFields = []string{"on_task_error", "retry_delay", "retry_backoff", "retry_elsewhere"}

// retryPolicy is what a job or task document says about failures; nil
// fields are not set there.
type retryPolicy struct {
	onError   *string
	delay     *api.Duration
	backoff   *string
	elsewhere *bool
}

// retryPolicy reads the failure-handling fields of the object m at path.
func (p *parser) retryPolicy(path string, m map[string]*yaml.Node) retryPolicy {
	var r retryPolicy
	if v := m["on_task_error"]; v != nil {
		r.onError = p.choice(join(path, "on_task_error"), v, api.OnErrorContinue, api.OnErrorCancelJob, api.OnErrorPauseJob, api.OnErrorSuspendTask)
	}
	if v := m["retry_delay"]; v != nil {
		d := p.walltime(join(path, "retry_delay"), v)
		if d > MaxRetryDelay {
			p.errorf(join(path, "retry_delay"), v, "must be at most 1h, got %s", resolve(v).Value)
			d = 0
		}
		r.delay = &d
	}
	if v := m["retry_backoff"]; v != nil {
		r.backoff = p.choice(join(path, "retry_backoff"), v, api.BackoffExponential)
	}
	if v := m["retry_elsewhere"]; v != nil {
		r.elsewhere = p.boolean(join(path, "retry_elsewhere"), v)
	}
	return r
}

// over returns r with the fields that task sets replaced.
func (r retryPolicy) over(task retryPolicy) retryPolicy {
	if task.onError != nil {
		r.onError = task.onError
	}
	if task.delay != nil {
		r.delay = task.delay
	}
	if task.backoff != nil {
		r.backoff = task.backoff
	}
	if task.elsewhere != nil {
		r.elsewhere = task.elsewhere
	}
	return r
}

// apply writes the policy into spec; "continue" is written as "".
func (r retryPolicy) apply(spec *api.TaskSpec) {
	if r.onError != nil && *r.onError != api.OnErrorContinue {
		spec.OnTaskError = *r.onError
	}
	if r.delay != nil {
		spec.RetryDelay = *r.delay
	}
	if r.backoff != nil {
		spec.RetryBackoff = *r.backoff
	}
	if r.elsewhere != nil {
		spec.RetryElsewhere = *r.elsewhere
	}
}

// choice reads a string that must be one of allowed; nil when it is not.
func (p *parser) choice(path string, n *yaml.Node, allowed ...string) *string {
	s, ok := p.str(path, n)
	if !ok {
		return nil
	}
	for _, a := range allowed {
		if s == a {
			return &s
		}
	}
	p.errorf(path, n, "must be one of %s, got %q", quoteList(allowed), s)
	return nil
}

// boolean reads true or false; nil when it is neither.
func (p *parser) boolean(path string, n *yaml.Node) *bool {
	n = resolve(n)
	var b bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		p.errorf(path, n, "must be true or false, got %s", kindName(n))
		return nil
	}
	return &b
}

// quoteList writes "a", "b" or "c".
func quoteList(items []string) string {
	out := ""
	for i, s := range items {
		switch {
		case i == 0:
		case i == len(items)-1:
			out += " or "
		default:
			out += ", "
		}
		out += `"` + s + `"`
	}
	return out
}
