package rest_test

import (
	"net/http"
	"reflect"
	"slices"
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

func TestUserGroups(t *testing.T) {
	h := newHarness(t, rest.Options{})
	body := `{"name": "carol", "password": "pw", "role": "user", "groups": ["physics", "gpu"]}`
	u := decode[api.User](t, h.do("POST", "/api/v1/users", h.admin, "application/json", body), http.StatusCreated)
	if !reflect.DeepEqual(u.Groups, []string{"physics", "gpu"}) {
		t.Errorf("created = %+v", u)
	}
	users := decode[[]api.User](t, h.do("GET", "/api/v1/users", h.admin, "", ""), http.StatusOK)
	if i := slices.IndexFunc(users, func(u api.User) bool { return u.Name == "carol" }); i < 0 || len(users[i].Groups) != 2 {
		t.Errorf("users = %+v, want carol with her groups", users)
	}
	e := wantError(t, h.do("POST", "/api/v1/users", h.admin, "application/json",
		`{"name": "dan", "password": "pw", "role": "user", "groups": ["ok", "not ok"]}`), http.StatusBadRequest, api.CodeInvalid)
	if got := fieldsOf(e); !reflect.DeepEqual(got, []string{"groups[1]"}) {
		t.Errorf("fields = %v", got)
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
