package rest_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// threeNodes sets up w1 FREE, w2 BUSY running one task, w3 DOWN and
// locked; w1 and w3 belong to node source lab, w2 to cloud.
func threeNodes(h *harness) {
	h.fake.SetNodes(
		api.Node{Name: "w1", State: api.NodeFree, Hostname: "host1", CPUs: 8, Slots: 8, Memory: 16 << 30, Source: "lab"},
		api.Node{Name: "w2", State: api.NodeBusy, Source: "cloud", CPUs: 4, Slots: 1, UsedCPU: 4, Memory: 8 << 30, UsedMemory: 1 << 30,
			RunningTasks: []api.TaskRef{{TaskID: 7, Attempt: 1, JobID: 3, Task: "build"}}},
		api.Node{Name: "w3", State: api.NodeDown, Source: "lab", CPUs: 2, Slots: 2, Draining: true,
			Locked: &api.NodeLock{By: "root", At: time.Unix(0, 0).UTC(), Reason: "disk"}},
	)
}

// names lists the names of nodes.
func names(nodes []api.Node) []string {
	out := []string{}
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return out
}

// fieldsOf lists the fields an invalid-request error names.
func fieldsOf(e *api.Error) []string {
	var fields []string
	for _, fe := range e.Errors {
		fields = append(fields, fe.Field)
	}
	return fields
}

func TestListNodesFilters(t *testing.T) {
	h := newHarness(t, rest.Options{})
	threeNodes(h)
	tests := map[string]struct {
		query string
		want  []string
	}{
		"none":             {"", []string{"w1", "w2", "w3"}},
		"one state":        {"?state=FREE", []string{"w1"}},
		"commas, any case": {"?state=free,,down", []string{"w1", "w3"}},
		"repeated":         {"?state=BUSY&state=DOWN", []string{"w2", "w3"}},
		"locked":           {"?locked=true", []string{"w3"}},
		"bare locked":      {"?locked", []string{"w3"}},
		"not locked":       {"?locked=false", []string{"w1", "w2"}},
		"state and locked": {"?state=FREE,BUSY&locked=true", []string{}},
		"source":           {"?source=lab", []string{"w1", "w3"}},
		"sources":          {"?source=cloud&source=nope", []string{"w2"}},
		"source and state": {"?source=lab,cloud&state=busy,DOWN", []string{"w2", "w3"}},
		"new state":        {"?state=lost,to_be_removed", []string{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := decode[[]api.Node](t, h.do("GET", "/api/v1/nodes"+tc.query, h.alice, "", ""), http.StatusOK)
			if !reflect.DeepEqual(names(got), tc.want) {
				t.Errorf("nodes = %v, want %v", names(got), tc.want)
			}
		})
	}
}

func TestListNodesBadFilters(t *testing.T) {
	h := newHarness(t, rest.Options{})
	tests := map[string]struct {
		query  string
		fields []string
	}{
		"state":       {"?state=FREE,IDLE", []string{"state"}},
		"locked":      {"?locked=maybe", []string{"locked"}},
		"all at once": {"?state=x&locked=y", []string{"state", "locked"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, h.do("GET", "/api/v1/nodes"+tc.query, h.alice, "", ""), http.StatusBadRequest, api.CodeInvalid)
			if got := fieldsOf(e); !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("fields = %v, want %v", got, tc.fields)
			}
		})
	}
}

func TestGetNode(t *testing.T) {
	h := newHarness(t, rest.Options{})
	threeNodes(h)
	decode[api.Node](t, h.do("POST", "/api/v1/nodes/w1/lock", h.admin, "application/json", `{"reason": "maintenance"}`), http.StatusOK)
	d := decode[api.NodeDetail](t, h.do("GET", "/api/v1/nodes/w1", h.alice, "", ""), http.StatusOK)
	if d.Name != "w1" || d.Facts.Hostname != "host1" || d.Facts.CPUs != 8 || d.Locked == nil {
		t.Errorf("detail = %+v", d)
	}
	var events []string
	for _, ev := range d.History {
		events = append(events, ev.Event)
	}
	if !reflect.DeepEqual(events, []string{"registered", "locked"}) || d.History[1].Info != "maintenance" {
		t.Errorf("history = %+v", d.History)
	}
	wantError(t, h.do("GET", "/api/v1/nodes/nope", h.alice, "", ""), http.StatusNotFound, api.CodeNotFound)
}

func TestBadNodeIDs(t *testing.T) {
	h := newHarness(t, rest.Options{})
	threeNodes(h)
	for _, id := range []string{"-w1", "_w1", "w.1", "w%201", strings.Repeat("w", 64)} {
		for _, r := range []struct{ method, suffix string }{
			{"GET", ""}, {"DELETE", ""}, {"POST", "/lock"}, {"POST", "/unlock"}, {"POST", "/drain"}, {"DELETE", "/drain"},
		} {
			resp := h.do(r.method, "/api/v1/nodes/"+id+r.suffix, h.admin, "", "")
			wantError(t, resp, http.StatusBadRequest, api.CodeBadRequest)
		}
	}
}

func TestLockAndUnlockNode(t *testing.T) {
	h := newHarness(t, rest.Options{})
	threeNodes(h)
	n := decode[api.Node](t, h.do("POST", "/api/v1/nodes/w1/lock", h.admin, "application/json", `{"reason": " disk "}`), http.StatusOK)
	if n.Locked == nil || n.Locked.By != "root" || n.Locked.Reason != "disk" {
		t.Errorf("locked node = %+v, want locked by root for disk", n.Locked)
	}
	n = decode[api.Node](t, h.do("POST", "/api/v1/nodes/w2/lock", h.admin, "", ""), http.StatusOK)
	if n.Locked == nil || n.Locked.Reason != "" {
		t.Errorf("locked without a body: %+v", n.Locked)
	}
	n = decode[api.Node](t, h.do("POST", "/api/v1/nodes/w1/unlock", h.admin, "", ""), http.StatusOK)
	if n.Locked != nil {
		t.Errorf("unlocked node still locked: %+v", n.Locked)
	}
	wantError(t, h.do("POST", "/api/v1/nodes/w1/lock", h.admin, "application/json", `{"reason":`), http.StatusBadRequest, api.CodeBadRequest)
	wantError(t, h.do("POST", "/api/v1/nodes/nope/lock", h.admin, "", ""), http.StatusNotFound, api.CodeNotFound)
	long := `{"reason": "` + strings.Repeat("x", 501) + `"}`
	e := wantError(t, h.do("POST", "/api/v1/nodes/w1/lock", h.admin, "application/json", long), http.StatusBadRequest, api.CodeInvalid)
	if got := fieldsOf(e); !reflect.DeepEqual(got, []string{"reason"}) {
		t.Errorf("fields = %v, want [reason]", got)
	}
}

func TestDrainNode(t *testing.T) {
	h := newHarness(t, rest.Options{})
	threeNodes(h)
	if n := decode[api.Node](t, h.do("POST", "/api/v1/nodes/w1/drain", h.admin, "", ""), http.StatusOK); !n.Draining {
		t.Errorf("after drain: %+v", n)
	}
	if n := decode[api.Node](t, h.do("DELETE", "/api/v1/nodes/w1/drain", h.admin, "", ""), http.StatusOK); n.Draining {
		t.Errorf("after cancelling the drain: %+v", n)
	}
}

func TestNodeChangesAreForAdmins(t *testing.T) {
	h := newHarness(t, rest.Options{})
	threeNodes(h)
	for _, r := range []struct{ method, path string }{
		{"POST", "/api/v1/nodes/w1/lock"}, {"POST", "/api/v1/nodes/w3/unlock"},
		{"POST", "/api/v1/nodes/w1/drain"}, {"DELETE", "/api/v1/nodes/w3/drain"},
		{"DELETE", "/api/v1/nodes/w1"}, {"DELETE", "/api/v1/nodes/w1?force=true"},
	} {
		wantError(t, h.do(r.method, r.path, h.alice, "", ""), http.StatusForbidden, api.CodeForbidden)
	}
	if nodes := decode[[]api.Node](t, h.do("GET", "/api/v1/nodes", h.alice, "", ""), http.StatusOK); len(nodes) != 3 ||
		nodes[0].Locked != nil || nodes[0].Draining {
		t.Errorf("a user changed the nodes: %+v", nodes)
	}
}

func TestRemoveNode(t *testing.T) {
	h := newHarness(t, rest.Options{})
	threeNodes(h)
	resp := h.do("DELETE", "/api/v1/nodes/w1", h.admin, "", "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("remove an idle node: status %d, want 204", resp.StatusCode)
	}
	wantError(t, h.do("GET", "/api/v1/nodes/w1", h.admin, "", ""), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.do("DELETE", "/api/v1/nodes/w1", h.admin, "", ""), http.StatusNotFound, api.CodeNotFound)

	wantError(t, h.do("DELETE", "/api/v1/nodes/w2", h.admin, "", ""), http.StatusConflict, api.CodeConflict)
	e := wantError(t, h.do("DELETE", "/api/v1/nodes/w2?force=maybe", h.admin, "", ""), http.StatusBadRequest, api.CodeInvalid)
	if got := fieldsOf(e); !reflect.DeepEqual(got, []string{"force"}) {
		t.Errorf("fields = %v, want [force]", got)
	}
	if resp = h.do("DELETE", "/api/v1/nodes/w2?force=true", h.admin, "", ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("forced remove: status %d, want 204", resp.StatusCode)
	}
	nodes := decode[[]api.Node](t, h.do("GET", "/api/v1/nodes", h.admin, "", ""), http.StatusOK)
	if !reflect.DeepEqual(names(nodes), []string{"w3"}) {
		t.Errorf("nodes left = %v, want [w3]", names(nodes))
	}
}
