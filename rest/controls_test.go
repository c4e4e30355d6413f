package rest_test

import (
	"net/http"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestJobAndTaskControls(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	path := "/api/v1/jobs/" + itoa(id)
	job := decode[api.Job](t, h.do("POST", path+"/pause", h.alice, "", ""), http.StatusOK)
	if job.State != api.JobPaused {
		t.Errorf("after pause: %s, want PAUSED", job.State)
	}
	e := wantError(t, h.do("POST", path+"/pause", h.alice, "", ""), http.StatusConflict, api.CodeConflict)
	if e.Message == "" {
		t.Error("conflict without a message")
	}
	job = decode[api.Job](t, h.do("POST", path+"/resume", h.alice, "", ""), http.StatusOK)
	if job.State != api.JobPending {
		t.Errorf("after resume: %s, want PENDING", job.State)
	}
	task := job.Tasks[0].Name
	wantError(t, h.do("POST", path+"/tasks/nope/kill", h.alice, "", ""), http.StatusNotFound, api.CodeNotFound)
	job = decode[api.Job](t, h.do("POST", path+"/tasks/"+task+"/kill", h.alice, "application/json", `{"reason":"why not"}`), http.StatusOK)
	if job.Tasks[0].State != api.TaskKilled {
		t.Errorf("after kill: task %s", job.Tasks[0].State)
	}
	wantError(t, h.do("POST", path+"/tasks/"+task+"/preempt", h.alice, "", ""), http.StatusConflict, api.CodeConflict)
	wantError(t, h.do("POST", path+"/tasks/"+task+"/kill", h.alice, "application/json", `{"reasn":"x"}`), http.StatusBadRequest, api.CodeInvalid)
	job = decode[api.Job](t, h.do("POST", path+"/tasks/"+task+"/finish", h.alice, "", ""), http.StatusOK)
	if job.State != api.JobFinished {
		t.Errorf("after finish: job %s, want FINISHED", job.State)
	}
	wantError(t, h.do("POST", path+"/restart-failed", h.alice, "", ""), http.StatusConflict, api.CodeConflict)
	// Another user's job is not found, as for GetJob.
	bob := h.fake.AddUser("bob", "bob-pw", api.RoleUser)
	wantError(t, h.do("POST", path+"/tasks/"+task+"/restart", bob, "", ""), http.StatusNotFound, api.CodeNotFound)
}
