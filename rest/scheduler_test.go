package rest_test

import (
	"net/http"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestSchedulerState(t *testing.T) {
	h := newHarness(t, rest.Options{})
	st := decode[api.SchedulerStatus](t, h.do("GET", "/api/v1/scheduler", h.alice, "", ""), http.StatusOK)
	if st.State != api.SchedulerStarted {
		t.Errorf("default state = %+v, want STARTED", st)
	}
	wantError(t, h.do("PUT", "/api/v1/scheduler", h.alice, "application/json", `{"state": "PAUSED"}`), http.StatusForbidden, api.CodeForbidden)
	for body, field := range map[string]string{
		`{"state": "ASLEEP"}`:                   "state",
		`{}`:                                    "state",
		`{"action": "explode"}`:                 "action",
		`{"state": "PAUSED", "action": "kill"}`: "action",
	} {
		e := wantError(t, h.do("PUT", "/api/v1/scheduler", h.admin, "application/json", body), http.StatusBadRequest, api.CodeInvalid)
		if len(e.Errors) != 1 || e.Errors[0].Field != field {
			t.Errorf("%s: errors = %+v, want one naming %s", body, e.Errors, field)
		}
	}
	st = decode[api.SchedulerStatus](t, h.do("PUT", "/api/v1/scheduler", h.admin, "application/json", `{"state": "PAUSED"}`), http.StatusOK)
	if st.State != api.SchedulerPaused || st.By != "root" {
		t.Errorf("after PUT = %+v", st)
	}
	if st = decode[api.SchedulerStatus](t, h.do("GET", "/api/v1/scheduler", h.alice, "", ""), http.StatusOK); st.State != api.SchedulerPaused {
		t.Errorf("GET after PUT = %+v", st)
	}
}

func TestSchedulerKillAndStop(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	st := decode[api.SchedulerStatus](t, h.do("PUT", "/api/v1/scheduler", h.admin, "application/json", `{"action": "kill"}`), http.StatusOK)
	if st.State != api.SchedulerStopped || len(st.Killed) != 1 || st.Killed[0] != id {
		t.Errorf("after kill = %+v", st)
	}
	job := decode[api.Job](t, h.do("GET", "/api/v1/jobs/1", h.alice, "", ""), http.StatusOK)
	if job.State != api.JobKilled {
		t.Errorf("job = %s, want KILLED", job.State)
	}
	wantError(t, h.do("POST", "/api/v1/jobs", h.alice, "application/json", validJob), http.StatusServiceUnavailable, api.CodeUnavailable)
}

func TestSchedulerStats(t *testing.T) {
	h := newHarness(t, rest.Options{})
	h.submit(validJob)
	st := decode[api.SchedulerStats](t, h.do("GET", "/api/v1/scheduler/stats?user=alice", h.admin, "", ""), http.StatusOK)
	if st.Jobs[api.JobPending] != 1 || st.TasksPending != 1 || st.User == nil || st.User.Name != "alice" || st.User.Jobs[api.JobPending] != 1 {
		t.Errorf("stats = %+v (user %+v)", st, st.User)
	}
	wantError(t, h.do("GET", "/api/v1/scheduler/stats?user=root", h.alice, "", ""), http.StatusForbidden, api.CodeForbidden)
	if st = decode[api.SchedulerStats](t, h.do("GET", "/api/v1/scheduler/stats", h.alice, "", ""), http.StatusOK); st.User != nil || st.Jobs == nil {
		t.Errorf("stats without user = %+v", st)
	}
}
