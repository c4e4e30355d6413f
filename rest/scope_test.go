package rest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// TestScopedTokenRoutes: a job-scoped token reaches the jobs API and the
// event stream; every other route answers 403 with the reason, before the
// backend is asked.
func TestScopedTokenRoutes(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	scoped := h.fake.AddScopedToken("alice", rest.TaskScope{JobID: id, TaskID: 1, Task: "say", Attempt: 1})

	decode[api.JobList](t, h.do("GET", "/api/v1/jobs", scoped, "", ""), http.StatusOK)
	decode[api.Job](t, h.do("GET", "/api/v1/jobs/1", scoped, "", ""), http.StatusOK)
	decode[api.SubmitResponse](t, h.do("POST", "/api/v1/jobs", scoped, "application/json", validJob), http.StatusCreated)

	for _, r := range []struct{ method, path string }{
		{"GET", "/api/v1/nodes"},
		{"GET", "/api/v1/nodes/n1"},
		{"GET", "/api/v1/rm"},
		{"GET", "/api/v1/node-sources"},
		{"GET", "/api/v1/spaces/user"},
		{"PUT", "/api/v1/spaces/user/x"},
		{"GET", "/api/v1/scheduler"},
		{"PUT", "/api/v1/scheduler"},
		{"GET", "/api/v1/users"},
		{"POST", "/api/v1/auth/logout"},
		{"POST", "/api/v1/scripts/test"},
	} {
		e := wantError(t, h.do(r.method, r.path, scoped, "application/json", "{}"), http.StatusForbidden, api.CodeForbidden)
		if !strings.Contains(e.Message, "a job-scoped token may only") || !strings.Contains(e.Message, r.path) {
			t.Errorf("%s %s: message %q, want the job-scoped reason naming the route", r.method, r.path, e.Message)
		}
	}
	// The owner's own token is not limited.
	decode[[]api.Node](t, h.do("GET", "/api/v1/nodes", h.alice, "", ""), http.StatusOK)
}

// TestSubmitAfterAndStartAt: after= and start_at= add depends_on_jobs and
// set start_at over the document's; bad values are field errors.
func TestSubmitAfterAndStartAt(t *testing.T) {
	h := newHarness(t, rest.Options{})
	doc := `{"name": "j", "depends_on_jobs": [3], "tasks": [{"name": "t", "command": ["true"]}]}`
	before := time.Now()
	decode[api.SubmitResponse](t, h.do("POST", "/api/v1/jobs?after=3,4&after=5&start_at=%2B10m", h.alice, "application/json", doc), http.StatusCreated)
	subs := h.fake.Submitted()
	spec := subs[len(subs)-1]
	if got := spec.DependsOnJobs; len(got) != 3 || got[0] != 3 || got[1] != 4 || got[2] != 5 {
		t.Errorf("depends_on_jobs %v, want [3 4 5]", got)
	}
	if spec.StartAt == nil || spec.StartAt.Before(before.Add(10*time.Minute-time.Second)) || spec.StartAt.After(time.Now().Add(10*time.Minute+time.Second)) {
		t.Errorf("start_at %v, want about 10 minutes from now", spec.StartAt)
	}
	decode[api.SubmitResponse](t, h.do("POST", "/api/v1/jobs?start_at=2026-11-22T09:00:00%2B01:00", h.alice, "application/json", doc), http.StatusCreated)
	subs = h.fake.Submitted()
	if at := subs[len(subs)-1].StartAt; at == nil || !at.Equal(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("start_at %v, want 2026-11-22T08:00:00Z", at)
	}
	for query, field := range map[string]string{"after=x": "after", "after=-2": "after", "start_at=soon": "start_at", "start_at=%2Bsoon": "start_at"} {
		e := wantError(t, h.do("POST", "/api/v1/jobs?"+query, h.alice, "application/json", doc), http.StatusBadRequest, api.CodeInvalid)
		if len(e.Errors) != 1 || e.Errors[0].Field != field {
			t.Errorf("%s: errors %+v, want one on %s", query, e.Errors, field)
		}
	}
	e := wantError(t, h.do("GET", "/api/v1/jobs?parent=-1", h.alice, "", ""), http.StatusBadRequest, api.CodeInvalid)
	if len(e.Errors) != 1 || e.Errors[0].Field != "parent" {
		t.Errorf("parent=-1: errors %+v, want one on parent", e.Errors)
	}
	decode[api.JobList](t, h.do("GET", "/api/v1/jobs?parent=7", h.alice, "", ""), http.StatusOK)
	if q := h.fake.LastQuery(); q.Parent != 7 {
		t.Errorf("query parent %d, want 7", q.Parent)
	}
}
