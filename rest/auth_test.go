package rest_test

import (
	"net/http"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// protectedRoutes is every route that needs a bearer token.
var protectedRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/auth/logout"},
	{"POST", "/api/v1/jobs"},
	{"GET", "/api/v1/jobs"},
	{"GET", "/api/v1/jobs/1"},
	{"GET", "/api/v1/jobs/1/spec"},
	{"GET", "/api/v1/jobs/1/explain"},
	{"DELETE", "/api/v1/jobs/1"},
	{"GET", "/api/v1/jobs/1/tasks/say/logs"},
	{"GET", "/api/v1/nodes"},
	{"GET", "/api/v1/nodes/w1"},
	{"DELETE", "/api/v1/nodes/w1"},
	{"POST", "/api/v1/nodes/w1/lock"},
	{"POST", "/api/v1/nodes/w1/unlock"},
	{"POST", "/api/v1/nodes/w1/drain"},
	{"DELETE", "/api/v1/nodes/w1/drain"},
	{"GET", "/api/v1/rm"},
	{"GET", "/api/v1/rm/events"},
	{"GET", "/api/v1/rm/history"},
	{"POST", "/api/v1/scripts/test"},
	{"POST", "/api/v1/users"},
	{"GET", "/api/v1/users"},
	{"GET", "/api/v1/infrastructures"},
	{"GET", "/api/v1/policies"},
	{"GET", "/api/v1/node-sources"},
	{"POST", "/api/v1/node-sources"},
	{"GET", "/api/v1/node-sources/lab"},
	{"PATCH", "/api/v1/node-sources/lab"},
	{"DELETE", "/api/v1/node-sources/lab"},
	{"POST", "/api/v1/node-sources/lab/deploy"},
	{"POST", "/api/v1/node-sources/lab/undeploy"},
	{"POST", "/api/v1/node-sources/lab/tokens"},
	{"GET", "/api/v1/node-sources/lab/tokens"},
	{"DELETE", "/api/v1/node-sources/lab/tokens/tok-1"},
}

func TestEveryRouteNeedsAToken(t *testing.T) {
	h := newHarness(t, rest.Options{})
	for _, r := range protectedRoutes {
		for name, header := range map[string]string{
			"none":      "",
			"unknown":   "Bearer nope",
			"no scheme": h.admin,
			"basic":     "Basic " + h.admin,
		} {
			t.Run(r.method+" "+r.path+"/"+name, func(t *testing.T) {
				req, _ := http.NewRequest(r.method, h.srv.URL+r.path, nil)
				if header != "" {
					req.Header.Set("Authorization", header)
				}
				resp, err := h.srv.Client().Do(req)
				if err != nil {
					t.Fatalf("request: %v", err)
				}
				defer resp.Body.Close()
				wantError(t, resp, http.StatusUnauthorized, api.CodeUnauthorized)
			})
		}
	}
}

func TestLogin(t *testing.T) {
	h := newHarness(t, rest.Options{})
	resp := h.do("POST", "/api/v1/auth/login", "", "application/json",
		`{"username": "alice", "password": "alice-pw"}`)
	got := decode[api.LoginResponse](t, resp, http.StatusOK)
	if got.Token == "" || got.Username != "alice" || got.Role != api.RoleUser {
		t.Fatalf("login = %+v", got)
	}
	decode[[]api.Node](t, h.do("GET", "/api/v1/nodes", got.Token, "", ""), http.StatusOK)

	resp = h.do("POST", "/api/v1/auth/logout", got.Token, "", "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: status %d, want 204", resp.StatusCode)
	}
	wantError(t, h.do("GET", "/api/v1/nodes", got.Token, "", ""), http.StatusUnauthorized, api.CodeUnauthorized)
}

func TestLoginRefused(t *testing.T) {
	h := newHarness(t, rest.Options{})
	tests := map[string]struct {
		body   string
		status int
		code   api.Code
	}{
		"wrong password": {`{"username": "alice", "password": "x"}`, http.StatusUnauthorized, api.CodeUnauthorized},
		"unknown user":   {`{"username": "bob", "password": "x"}`, http.StatusUnauthorized, api.CodeUnauthorized},
		"missing fields": {`{}`, http.StatusBadRequest, api.CodeInvalid},
		"not JSON":       {`user=alice`, http.StatusBadRequest, api.CodeBadRequest},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := h.do("POST", "/api/v1/auth/login", "", "application/json", tc.body)
			wantError(t, resp, tc.status, tc.code)
		})
	}
}
