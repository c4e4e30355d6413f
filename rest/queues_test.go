package rest_test

import (
	"net/http"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestQueues(t *testing.T) {
	h := newHarness(t, rest.Options{})
	h.fake.SetQueues([]api.Queue{
		{Name: "default", Weight: 1, Policy: "fifo", Pending: 3, Users: []api.QueueUser{{Name: "alice", Pending: 1}, {Name: "bob", Pending: 2}}},
		{Name: "short", Weight: 2, Policy: "backfill", MaxRunning: 4},
	})
	qs := decode[[]api.Queue](t, h.do("GET", "/api/v1/queues", h.admin, "", ""), http.StatusOK)
	if len(qs) != 2 || qs[0].Name != "default" || len(qs[0].Users) != 2 || qs[1].Policy != "backfill" || qs[1].MaxRunning != 4 {
		t.Fatalf("queues as admin = %+v", qs)
	}
	qs = decode[[]api.Queue](t, h.do("GET", "/api/v1/queues", h.alice, "", ""), http.StatusOK)
	if len(qs[0].Users) != 1 || qs[0].Users[0].Name != "alice" || qs[0].Pending != 3 {
		t.Fatalf("queues as alice = %+v, want her own line only and the queue's totals", qs)
	}
	q := decode[api.Queue](t, h.do("GET", "/api/v1/queues/short", h.alice, "", ""), http.StatusOK)
	if q.Name != "short" || q.Weight != 2 {
		t.Fatalf("queue short = %+v", q)
	}
	wantError(t, h.do("GET", "/api/v1/queues/nope", h.alice, "", ""), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.do("GET", "/api/v1/queues", "", "", ""), http.StatusUnauthorized, api.CodeUnauthorized)
}

func TestSubmitQueue(t *testing.T) {
	h := newHarness(t, rest.Options{})
	h.fake.SetQueues([]api.Queue{{Name: "default"}, {Name: "short"}})
	doc := `{"name": "j", "queue": "short", "tasks": [{"name": "t", "command": ["true"]}]}`
	decode[api.SubmitResponse](t, h.do("POST", "/api/v1/jobs", h.alice, "application/json", doc), http.StatusCreated)
	decode[api.SubmitResponse](t, h.do("POST", "/api/v1/jobs?queue=default", h.alice, "application/json", doc), http.StatusCreated)
	e := wantError(t, h.do("POST", "/api/v1/jobs?queue=long", h.alice, "application/json", doc), http.StatusBadRequest, api.CodeInvalid)
	if len(e.Errors) != 1 || e.Errors[0].Field != "queue" {
		t.Errorf("unknown queue: errors %+v, want one on queue", e.Errors)
	}
	e = wantError(t, h.do("POST", "/api/v1/jobs", h.alice, "application/json",
		`{"name": "j", "tasks": [{"name": "t", "command": ["true"], "nodes": 0}]}`), http.StatusBadRequest, api.CodeInvalid)
	if len(e.Errors) != 1 || e.Errors[0].Field != "tasks[0].nodes" {
		t.Errorf("nodes 0: errors %+v, want one on tasks[0].nodes", e.Errors)
	}
	got := h.fake.Submitted()
	if len(got) != 2 || got[0].Queue != "short" || got[1].Queue != "default" {
		t.Errorf("submitted queues: %+v", got)
	}
}
