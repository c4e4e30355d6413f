package jobspec

import (
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

func TestParseRetryPolicy(t *testing.T) {
	doc := `name: j
on_task_error: cancel_job
retry_delay: 30s
retry_backoff: exponential
retry_elsewhere: true
tasks:
  - name: inherits
    script: run
  - name: overrides
    script: run
    on_task_error: continue
    retry_delay: 2m
    retry_elsewhere: false
  - name: pauses
    script: run
    on_task_error: pause_job
  - name: suspends
    script: run
    on_task_error: suspend_task
`
	spec, errs := Parse([]byte(doc))
	if len(errs) > 0 {
		t.Fatalf("Parse: %v", errs)
	}
	type policy struct {
		onError   string
		delay     api.Duration
		backoff   string
		elsewhere bool
	}
	want := []policy{
		{api.OnErrorCancelJob, api.Duration(30 * time.Second), api.BackoffExponential, true},
		{"", api.Duration(2 * time.Minute), api.BackoffExponential, false},
		{api.OnErrorPauseJob, api.Duration(30 * time.Second), api.BackoffExponential, true},
		{api.OnErrorSuspendTask, api.Duration(30 * time.Second), api.BackoffExponential, true},
	}
	for i, w := range want {
		ts := spec.Tasks[i]
		got := policy{ts.OnTaskError, ts.RetryDelay, ts.RetryBackoff, ts.RetryElsewhere}
		if got != w {
			t.Errorf("task %s: policy %+v, want %+v", ts.Name, got, w)
		}
	}
}

func TestParseRetryPolicyDefaults(t *testing.T) {
	spec, errs := Parse([]byte(scriptTask()))
	if len(errs) > 0 {
		t.Fatalf("Parse: %v", errs)
	}
	ts := spec.Tasks[0]
	if ts.OnTaskError != "" || ts.RetryDelay != 0 || ts.RetryBackoff != "" || ts.RetryElsewhere {
		t.Errorf("task policy %+v, want none", ts)
	}
}

func TestParseRetryPolicyErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want want
	}{
		{"unknown action", scriptTask("on_task_error: explode"), want{"tasks[0].on_task_error", `must be one of "continue", "cancel_job", "pause_job" or "suspend_task", got "explode"`}},
		{"job action not a string", "name: j\non_task_error: [a]\ntasks:\n  - name: t\n    script: run\n", want{"on_task_error", "must be a string"}},
		{"bad delay", scriptTask("retry_delay: soon"), want{"tasks[0].retry_delay", "soon"}},
		{"delay too long", scriptTask("retry_delay: 2h"), want{"tasks[0].retry_delay", "must be at most 1h"}},
		{"zero delay", "name: j\nretry_delay: 0s\ntasks:\n  - name: t\n    script: run\n", want{"retry_delay", "must be more than 0"}},
		{"unknown backoff", scriptTask("retry_backoff: linear"), want{"tasks[0].retry_backoff", `must be one of "exponential"`}},
		{"elsewhere not a bool", scriptTask("retry_elsewhere: yes please"), want{"tasks[0].retry_elsewhere", "must be true or false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertHasError(t, tt.doc, tt.want) })
	}
}

func TestParseJobHolds(t *testing.T) {
	doc := "name: j\ndepends_on_jobs: [12, 13]\nstart_at: 2026-11-22T09:00:00+01:00\nparent: 4\ntasks:\n  - name: t\n    script: run\n"
	spec, errs := Parse([]byte(doc))
	if len(errs) > 0 {
		t.Fatalf("Parse: %v", errs)
	}
	if len(spec.DependsOnJobs) != 2 || spec.DependsOnJobs[0] != 12 || spec.DependsOnJobs[1] != 13 {
		t.Errorf("depends_on_jobs = %v, want [12 13]", spec.DependsOnJobs)
	}
	if want := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC); spec.StartAt == nil || !spec.StartAt.Equal(want) || spec.StartAt.Location() != time.UTC {
		t.Errorf("start_at = %v, want %v (UTC)", spec.StartAt, want)
	}
	if spec.Parent != 0 {
		t.Errorf("parent = %d: a document cannot set it (it is ignored)", spec.Parent)
	}
}

func TestParseJobHoldsErrors(t *testing.T) {
	job := func(field string) string { return "name: j\n" + field + "\ntasks:\n  - name: t\n    script: run\n" }
	tests := []struct {
		name string
		doc  string
		want want
	}{
		{"not a list", job("depends_on_jobs: 12"), want{"depends_on_jobs", "must be a list"}},
		{"not an id", job("depends_on_jobs: [a]"), want{"depends_on_jobs[0]", "must be an integer"}},
		{"negative id", job("depends_on_jobs: [-3]"), want{"depends_on_jobs[0]", "must be a job id"}},
		{"twice", job("depends_on_jobs: [4, 4]"), want{"depends_on_jobs[1]", "job 4 is listed twice"}},
		{"bad time", job("start_at: tomorrow"), want{"start_at", "RFC 3339"}},
		{"time without zone", job("start_at: 2026-11-22T08:00:00"), want{"start_at", "with a zone"}},
		{"parent not an id", job("parent: x"), want{"parent", "must be an integer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertHasError(t, tt.doc, tt.want) })
	}
}

// assertHasError parses doc and checks that w is among its problems.
func assertHasError(t *testing.T, doc string, w want) {
	t.Helper()
	_, errs := Parse([]byte(doc))
	for _, e := range errs {
		if e.Field == w.field && strings.Contains(e.Message, w.msg) {
			return
		}
	}
	t.Errorf("errors %v, want %s: %s", errs, w.field, w.msg)
}
