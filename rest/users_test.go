package rest_test

import (
	"net/http"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestUsers(t *testing.T) {
	h := newHarness(t, rest.Options{})
	body := `{"name": "bob", "password": "pw", "role": "user"}`
	u := decode[api.User](t, h.do("POST", "/api/v1/users", h.admin, "application/json", body), http.StatusCreated)
	if u.Name != "bob" || u.Role != api.RoleUser {
		t.Errorf("created = %+v", u)
	}
	wantError(t, h.do("POST", "/api/v1/users", h.admin, "application/json", body), http.StatusConflict, api.CodeConflict)
	wantError(t, h.do("POST", "/api/v1/users", h.alice, "application/json", body), http.StatusForbidden, api.CodeForbidden)
	wantError(t, h.do("POST", "/api/v1/users", h.admin, "application/json", "{"), http.StatusBadRequest, api.CodeBadRequest)

	users := decode[[]api.User](t, h.do("GET", "/api/v1/users", h.admin, "", ""), http.StatusOK)
	if len(users) != 3 {
		t.Errorf("users = %+v, want root, alice and bob", users)
	}
}

func TestNodes(t *testing.T) {
	h := newHarness(t, rest.Options{})
	empty := decode[[]api.Node](t, h.do("GET", "/api/v1/nodes", h.alice, "", ""), http.StatusOK)
	if empty == nil {
		t.Errorf("no nodes decoded as null, want []")
	}
	h.fake.SetNodes(api.Node{ID: "n1", Name: "w1", State: api.NodeFree, CPUs: 8})
	nodes := decode[[]api.Node](t, h.do("GET", "/api/v1/nodes", h.alice, "", ""), http.StatusOK)
	if len(nodes) != 1 || nodes[0].Name != "w1" || nodes[0].CPUs != 8 {
		t.Errorf("nodes = %+v", nodes)
	}
}
