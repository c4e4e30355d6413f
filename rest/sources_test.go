package rest_test

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// sshSource is a valid source whose password is a secret.
const sshSource = `{"name": "lab", "description": "the lab's machines",
 "infrastructure": {"type": "ssh", "params": {"hosts": "a,b", "user": "grid", "password": "hunter2"}},
 "policy": {"type": "static", "params": {"nodes": "2"}},
 "access": {"use": ["group:physics"]}, "node_tokens": ["lab"]}`

// createSource posts a source document as root and returns the source.
func (h *harness) createSource(doc string) api.NodeSource {
	h.t.Helper()
	return decode[api.NodeSource](h.t, h.do("POST", "/api/v1/node-sources", h.admin, "application/json", doc), http.StatusCreated)
}

func TestKinds(t *testing.T) {
	h := newHarness(t, rest.Options{})
	infras := decode[[]api.KindInfo](t, h.do("GET", "/api/v1/infrastructures", h.alice, "", ""), http.StatusOK)
	var names []string
	for _, k := range infras {
		names = append(names, k.Name)
		if k.Params == nil {
			t.Errorf("%s: params null, want a list", k.Name)
		}
	}
	if !reflect.DeepEqual(names, []string{"enroll", "local", "ssh", "slurm"}) {
		t.Errorf("infrastructures = %v", names)
	}
	if i := slices.IndexFunc(infras[2].Params, func(p api.Param) bool { return p.Name == "password" }); i < 0 || !infras[2].Params[i].Secret {
		t.Errorf("ssh params = %+v, want a secret password", infras[2].Params)
	}
	pols := decode[[]api.KindInfo](t, h.do("GET", "/api/v1/policies", h.alice, "", ""), http.StatusOK)
	if len(pols) != 6 || pols[0].Name != "static" || len(pols[0].Params) == 0 || pols[0].Summary == "" {
		t.Errorf("policies = %+v", pols)
	}
}

func TestSourceLifecycle(t *testing.T) {
	h := newHarness(t, rest.Options{})
	src := h.createSource(sshSource)
	if src.Name != "lab" || src.Status != api.SourceUndeployed || src.Owner != "root" || src.CreatedAt.IsZero() {
		t.Errorf("created = %+v", src)
	}
	if got := src.Infrastructure.Params["password"]; got != "******" {
		t.Errorf("password read back as %q, want it redacted", got)
	}
	if !slices.Contains(src.Access.Admin, "user:root") || src.Nodes == nil {
		t.Errorf("access %+v, nodes %v: want the creator among the admins and {} counts", src.Access, src.Nodes)
	}

	h.fake.SetNodes(api.Node{Name: "a", Source: "lab", State: api.NodeFree}, api.Node{Name: "b", Source: "lab", State: api.NodeDown})
	got := decode[api.NodeSource](t, h.do("GET", "/api/v1/node-sources/lab", h.admin, "", ""), http.StatusOK)
	if got.Nodes[api.NodeFree] != 1 || got.Nodes[api.NodeDown] != 1 || got.Infrastructure.Params["password"] != "******" {
		t.Errorf("got %+v", got)
	}
	list := decode[[]api.NodeSource](t, h.do("GET", "/api/v1/node-sources", h.admin, "", ""), http.StatusOK)
	if len(list) != 1 || list[0].Name != "lab" {
		t.Errorf("list = %+v", list)
	}

	got = decode[api.NodeSource](t, h.do("PATCH", "/api/v1/node-sources/lab", h.admin, "application/json",
		`{"policy_params": {"nodes": "1"}, "infrastructure_params": {"password": ""}, "description": "smaller"}`), http.StatusOK)
	if got.Policy.Params["nodes"] != "1" || got.Description != "smaller" || got.Infrastructure.Params["password"] != "" {
		t.Errorf("updated = %+v", got)
	}

	got = decode[api.NodeSource](t, h.do("POST", "/api/v1/node-sources/lab/deploy", h.admin, "", ""), http.StatusOK)
	if got.Status != api.SourceDeployed || got.NextCheck == nil {
		t.Errorf("deployed = %+v", got)
	}
	for _, body := range []string{"", `{"preempt": true}`} {
		got = decode[api.NodeSource](t, h.do("POST", "/api/v1/node-sources/lab/undeploy", h.admin, "application/json", body), http.StatusOK)
		if got.Status != api.SourceUndeployed {
			t.Errorf("undeploy %q: status %s", body, got.Status)
		}
	}

	resp := h.do("DELETE", "/api/v1/node-sources/lab", h.admin, "", "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: status %d", resp.StatusCode)
	}
	wantError(t, h.do("GET", "/api/v1/node-sources/lab", h.admin, "", ""), http.StatusNotFound, api.CodeNotFound)
	if nodes := decode[[]api.Node](t, h.do("GET", "/api/v1/nodes", h.admin, "", ""), http.StatusOK); len(nodes) != 0 {
		t.Errorf("nodes after the delete = %v", names(nodes))
	}
}

func TestCreateSourceInvalid(t *testing.T) {
	h := newHarness(t, rest.Options{})
	tests := map[string]struct {
		body   string
		fields []string
	}{
		"unknown fields": {`{"name": "x", "bogus": 1, "infrastructure": {"type": "local", "parms": {}}, "policy": {"type": "static"}}`,
			[]string{"bogus", "infrastructure.parms"}},
		"wrong types": {`{"name": 7, "infrastructure": {"type": "local", "params": {"max_nodes": 3}}, "policy": "static", "node_tokens": "a"}`,
			[]string{"infrastructure.params.max_nodes", "name", "node_tokens", "policy"}},
		"not an object": {`["lab"]`, []string{"body"}},
		"backend validation": {`{"name": "-x", "infrastructure": {"type": "ssh", "params": {"port": "many"}}, "policy": {"type": "statc"}}`,
			[]string{"name", "infrastructure.params.hosts", "infrastructure.params.port", "infrastructure.params.user", "policy.type"}},
		"access": {`{"name": "x", "infrastructure": {"type": "enroll"}, "policy": {"type": "static"}, "access": {"use": ["bob"]}}`,
			[]string{"access.use[0]"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, h.do("POST", "/api/v1/node-sources", h.admin, "application/json", tc.body), http.StatusBadRequest, api.CodeInvalid)
			if got := fieldsOf(e); !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("fields = %v, want %v (%+v)", got, tc.fields, e.Errors)
			}
			for _, fe := range e.Errors {
				if strings.Contains(fe.Message, "hunter2") {
					t.Errorf("error quotes a secret: %v", fe)
				}
			}
		})
	}
	for _, body := range []string{"", "{", `{"name": "x"} trailing`} {
		wantError(t, h.do("POST", "/api/v1/node-sources", h.admin, "application/json", body), http.StatusBadRequest, api.CodeBadRequest)
	}
	if list := decode[[]api.NodeSource](t, h.do("GET", "/api/v1/node-sources", h.admin, "", ""), http.StatusOK); len(list) != 0 {
		t.Errorf("invalid sources were stored: %+v", list)
	}
}

func TestSourceConflictsAndRights(t *testing.T) {
	h := newHarness(t, rest.Options{})
	h.createSource(sshSource)
	wantError(t, h.do("POST", "/api/v1/node-sources", h.admin, "application/json", sshSource), http.StatusConflict, api.CodeConflict)
	wantError(t, h.do("POST", "/api/v1/node-sources", h.alice, "application/json", sshSource), http.StatusForbidden, api.CodeForbidden)

	// alice is not in group physics: the source does not exist for her.
	if list := decode[[]api.NodeSource](t, h.do("GET", "/api/v1/node-sources", h.alice, "", ""), http.StatusOK); len(list) != 0 {
		t.Errorf("alice sees %+v", list)
	}
	wantError(t, h.do("GET", "/api/v1/node-sources/lab", h.alice, "", ""), http.StatusNotFound, api.CodeNotFound)

	h.fake.SetGroups("alice", "physics")
	decode[api.NodeSource](t, h.do("GET", "/api/v1/node-sources/lab", h.alice, "", ""), http.StatusOK)
	for _, r := range []struct{ method, path, body string }{
		{"PATCH", "/api/v1/node-sources/lab", `{"description": "mine"}`},
		{"POST", "/api/v1/node-sources/lab/deploy", ""},
		{"POST", "/api/v1/node-sources/lab/undeploy", ""},
		{"DELETE", "/api/v1/node-sources/lab", ""},
		{"POST", "/api/v1/node-sources/lab/tokens", ""},
		{"GET", "/api/v1/node-sources/lab/tokens", ""},
	} {
		wantError(t, h.do(r.method, r.path, h.alice, "application/json", r.body), http.StatusForbidden, api.CodeForbidden)
	}

	// A source admin may act on it.
	decode[api.NodeSource](t, h.do("PATCH", "/api/v1/node-sources/lab", h.admin, "application/json",
		`{"access": {"use": ["group:physics"], "admin": ["user:alice"]}}`), http.StatusOK)
	got := decode[api.NodeSource](t, h.do("POST", "/api/v1/node-sources/lab/deploy", h.alice, "", ""), http.StatusOK)
	if got.Status != api.SourceDeployed {
		t.Errorf("deployed by alice: %+v", got)
	}
}

func TestSourceNotFoundAndBadNames(t *testing.T) {
	h := newHarness(t, rest.Options{})
	for _, r := range []struct{ method, suffix string }{
		{"GET", ""}, {"PATCH", ""}, {"DELETE", ""}, {"POST", "/deploy"}, {"POST", "/undeploy"},
		{"POST", "/tokens"}, {"GET", "/tokens"}, {"DELETE", "/tokens/tok-1"},
	} {
		body := ""
		if r.method == "PATCH" {
			body = `{"description": "x"}`
		}
		wantError(t, h.do(r.method, "/api/v1/node-sources/nope"+r.suffix, h.admin, "application/json", body), http.StatusNotFound, api.CodeNotFound)
		wantError(t, h.do(r.method, "/api/v1/node-sources/-x"+r.suffix, h.admin, "application/json", body), http.StatusBadRequest, api.CodeBadRequest)
	}
}

func TestUpdateSourceInvalid(t *testing.T) {
	h := newHarness(t, rest.Options{})
	h.createSource(sshSource)
	tests := map[string]struct {
		body   string
		fields []string
	}{
		"unknown field":   {`{"policy": {"type": "elastic"}}`, []string{"policy"}},
		"wrong type":      {`{"node_tokens": [1]}`, []string{"node_tokens[0]"}},
		"bad param value": {`{"policy_params": {"nodes": "-1"}, "infrastructure_params": {"hosts": ""}}`, []string{"infrastructure.params.hosts", "policy.params.nodes"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, h.do("PATCH", "/api/v1/node-sources/lab", h.admin, "application/json", tc.body), http.StatusBadRequest, api.CodeInvalid)
			if got := fieldsOf(e); !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("fields = %v, want %v (%+v)", got, tc.fields, e.Errors)
			}
		})
	}
	wantError(t, h.do("PATCH", "/api/v1/node-sources/lab", h.admin, "", ""), http.StatusBadRequest, api.CodeBadRequest)
	e := wantError(t, h.do("POST", "/api/v1/node-sources/lab/undeploy", h.admin, "application/json", `{"preempt": "yes"}`),
		http.StatusBadRequest, api.CodeInvalid)
	if got := fieldsOf(e); !reflect.DeepEqual(got, []string{"preempt"}) {
		t.Errorf("undeploy fields = %v", got)
	}
}

func TestDeleteBusySource(t *testing.T) {
	h := newHarness(t, rest.Options{})
	h.createSource(sshSource)
	h.fake.SetNodes(api.Node{Name: "a", Source: "lab", State: api.NodeBusy})
	wantError(t, h.do("DELETE", "/api/v1/node-sources/lab", h.admin, "", ""), http.StatusConflict, api.CodeConflict)
	e := wantError(t, h.do("DELETE", "/api/v1/node-sources/lab?preempt=maybe", h.admin, "", ""), http.StatusBadRequest, api.CodeInvalid)
	if got := fieldsOf(e); !reflect.DeepEqual(got, []string{"preempt"}) {
		t.Errorf("fields = %v", got)
	}
	got := decode[api.NodeSource](t, h.do("POST", "/api/v1/node-sources/lab/undeploy", h.admin, "", ""), http.StatusOK)
	if got.Status != api.SourceUndeploying {
		t.Errorf("undeploy with a busy node: %s, want UNDEPLOYING", got.Status)
	}
	if resp := h.do("DELETE", "/api/v1/node-sources/lab?preempt=true", h.admin, "", ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete with preempt: status %d", resp.StatusCode)
	}
}

func TestSourceBackendErrors(t *testing.T) {
	h := newHarness(t, rest.Options{})
	h.fake.FailWith(api.Errorf(api.CodeUnavailable, "store down"))
	defer h.fake.FailWith(nil)
	wantError(t, h.do("GET", "/api/v1/node-sources", h.alice, "", ""), http.StatusServiceUnavailable, api.CodeUnavailable)
	wantError(t, h.do("POST", "/api/v1/nodes/join", "", "application/json", `{"token": "t", "name": "n1"}`),
		http.StatusServiceUnavailable, api.CodeUnavailable)
}
