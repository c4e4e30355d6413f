package rest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// TestJobPriority: PUT /jobs/{id}/priority changes the level within the
// caller's limit; a missing, unknown or misspelt field is invalid on
// "priority"; a killed job is a conflict.
func TestJobPriority(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	path := fmt.Sprintf("/api/v1/jobs/%d/priority", id)

	job := decode[api.Job](t, h.do("PUT", path, h.alice, "application/json", `{"priority": "low"}`), http.StatusOK)
	if job.Priority != api.PriorityLow || job.ID != id {
		t.Errorf("after the change: %+v", job)
	}
	e := wantError(t, h.do("PUT", path, h.alice, "application/json", `{"priority": "high"}`), http.StatusBadRequest, api.CodeInvalid)
	if len(e.Errors) != 1 || e.Errors[0].Field != "priority" || !strings.Contains(e.Errors[0].Message, "normal") {
		t.Errorf("above the maximum: %+v", e.Errors)
	}
	for body, field := range map[string]string{`{}`: "priority", `{"priority": "urgent"}`: "priority", `{"priority": 3}`: "priority", `{"priorty": "low"}`: "priorty"} {
		e := wantError(t, h.do("PUT", path, h.alice, "application/json", body), http.StatusBadRequest, api.CodeInvalid)
		if len(e.Errors) == 0 || e.Errors[0].Field != field {
			t.Errorf("body %s: errors %+v, want one on %s", body, e.Errors, field)
		}
	}
	wantError(t, h.do("PUT", path, h.alice, "application/json", ""), http.StatusBadRequest, api.CodeBadRequest)

	job = decode[api.Job](t, h.do("PUT", path, h.admin, "application/json", `{"priority": "highest"}`), http.StatusOK)
	if job.Priority != api.PriorityHighest {
		t.Errorf("admin's change: %+v", job)
	}
	decode[api.Job](t, h.do("DELETE", fmt.Sprintf("/api/v1/jobs/%d", id), h.alice, "", ""), http.StatusOK)
	wantError(t, h.do("PUT", path, h.admin, "application/json", `{"priority": "low"}`), http.StatusConflict, api.CodeConflict)
	wantError(t, h.do("PUT", "/api/v1/jobs/999/priority", h.alice, "application/json", `{"priority": "low"}`), http.StatusNotFound, api.CodeNotFound)
}
