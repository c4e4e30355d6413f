package rest_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestListJobsQuery(t *testing.T) {
	h := newHarness(t, rest.Options{})
	for range 3 {
		h.submit(validJob)
	}
	tests := map[string]struct {
		query string
		want  rest.JobQuery
	}{
		"none":     {"", rest.JobQuery{}},
		"repeated": {"?state=RUNNING&state=PENDING", rest.JobQuery{States: []api.JobState{api.JobRunning, api.JobPending}}},
		"commas":   {"?state=running,,failed", rest.JobQuery{States: []api.JobState{api.JobRunning, api.JobFailed}}},
		"paging":   {"?owner=bob&offset=2&limit=1", rest.JobQuery{Owner: "bob", Offset: 2, Limit: 1}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			decode[api.JobList](t, h.do("GET", "/api/v1/jobs"+tc.query, h.admin, "", ""), http.StatusOK)
			if got := h.fake.LastQuery(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("backend query = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestListJobsPaging(t *testing.T) {
	h := newHarness(t, rest.Options{})
	for range 3 {
		h.submit(validJob)
	}
	got := decode[api.JobList](t, h.do("GET", "/api/v1/jobs?offset=1&limit=1", h.alice, "", ""), http.StatusOK)
	if got.Total != 3 || got.Offset != 1 || got.Limit != 1 || len(got.Jobs) != 1 || got.Jobs[0].ID != 2 {
		t.Errorf("page = %+v, want job 2 of 3", got)
	}
	if got.Jobs[0].TaskCounts[api.TaskPending] != 1 {
		t.Errorf("task counts = %v, want 1 pending", got.Jobs[0].TaskCounts)
	}
	empty := decode[api.JobList](t, h.do("GET", "/api/v1/jobs?state=FAILED", h.alice, "", ""), http.StatusOK)
	if empty.Jobs == nil || len(empty.Jobs) != 0 {
		t.Errorf("jobs = %#v, want an empty list, not null", empty.Jobs)
	}
}

func TestListJobsBadParameters(t *testing.T) {
	h := newHarness(t, rest.Options{})
	tests := map[string]struct {
		query  string
		fields []string
	}{
		"state":        {"?state=RUNNING,DONE", []string{"state"}},
		"offset":       {"?offset=-1", []string{"offset"}},
		"limit":        {"?limit=ten", []string{"limit"}},
		"all at once":  {"?state=x&offset=y&limit=z", []string{"state", "offset", "limit"}},
		"huge integer": {"?limit=99999999999999999999", []string{"limit"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, h.do("GET", "/api/v1/jobs"+tc.query, h.alice, "", ""), http.StatusBadRequest, api.CodeInvalid)
			var fields []string
			for _, fe := range e.Errors {
				fields = append(fields, fe.Field)
			}
			if !reflect.DeepEqual(fields, tc.fields) {
				t.Errorf("fields = %v, want %v", fields, tc.fields)
			}
		})
	}
}

func TestGetJobAndSpec(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	job := decode[api.Job](t, h.do("GET", fmt.Sprintf("/api/v1/jobs/%d", id), h.alice, "", ""), http.StatusOK)
	if job.ID != id || job.Owner != "alice" || len(job.Tasks) != 1 {
		t.Errorf("job = %+v", job)
	}
	spec := decode[api.JobSpec](t, h.do("GET", fmt.Sprintf("/api/v1/jobs/%d/spec", id), h.alice, "", ""), http.StatusOK)
	if spec.Name != "hello" || len(spec.Tasks) != 1 {
		t.Errorf("spec = %+v", spec)
	}
}

func TestKillJob(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	path := fmt.Sprintf("/api/v1/jobs/%d", id)
	job := decode[api.Job](t, h.do("DELETE", path, h.alice, "", ""), http.StatusOK)
	if job.State != api.JobKilled || job.Tasks[0].State != api.TaskKilled {
		t.Errorf("after kill: job %s, task %s; want KILLED", job.State, job.Tasks[0].State)
	}
	wantError(t, h.do("DELETE", path, h.alice, "", ""), http.StatusConflict, api.CodeConflict)
}

func TestBadJobIDs(t *testing.T) {
	h := newHarness(t, rest.Options{})
	for _, id := range []string{"abc", "0", "-3", "1.5", "99999999999999999999"} {
		for _, r := range []struct{ method, suffix string }{
			{"GET", ""}, {"GET", "/spec"}, {"DELETE", ""}, {"GET", "/tasks/say/logs"},
		} {
			resp := h.do(r.method, "/api/v1/jobs/"+id+r.suffix, h.alice, "", "")
			wantError(t, resp, http.StatusBadRequest, api.CodeBadRequest)
		}
	}
}

func TestOthersJobsAreNotFound(t *testing.T) {
	h := newHarness(t, rest.Options{})
	bob := h.fake.AddUser("bob", "bob-pw", api.RoleUser)
	id := h.submit(validJob)
	path := fmt.Sprintf("/api/v1/jobs/%d", id)
	wantError(t, h.do("GET", path, bob, "", ""), http.StatusNotFound, api.CodeNotFound)
	decode[api.Job](t, h.do("GET", path, h.admin, "", ""), http.StatusOK)
}
