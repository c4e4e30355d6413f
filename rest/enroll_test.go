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

// enrollSource creates the enroll source "ws".
func enrollSource(h *harness) {
	h.createSource(`{"name": "ws", "infrastructure": {"type": "enroll"}, "policy": {"type": "workstation"}}`)
}

// join posts a join request with no login, and extra headers.
func (h *harness) join(body string, headers map[string]string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest("POST", h.srv.URL+"/api/v1/nodes/join", strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("join: %v", err)
	}
	h.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func TestEnrollTokens(t *testing.T) {
	h := newHarness(t, rest.Options{})
	enrollSource(h)
	tok := decode[api.EnrollToken](t, h.do("POST", "/api/v1/node-sources/ws/tokens", h.admin, "application/json",
		`{"one_time": true, "ttl": "1h", "description": "ws12"}`), http.StatusCreated)
	if tok.ID == "" || tok.Token == "" || !tok.OneTime || tok.Source != "ws" || tok.CreatedBy != "root" ||
		tok.ExpiresAt == nil || tok.ExpiresAt.Sub(tok.CreatedAt) != time.Hour || tok.Description != "ws12" {
		t.Errorf("created = %+v", tok)
	}
	plain := decode[api.EnrollToken](t, h.do("POST", "/api/v1/node-sources/ws/tokens", h.admin, "", ""), http.StatusCreated)
	if plain.OneTime || plain.ExpiresAt != nil {
		t.Errorf("token without a body = %+v, want reusable until revoked", plain)
	}

	list := decode[[]api.EnrollToken](t, h.do("GET", "/api/v1/node-sources/ws/tokens", h.admin, "", ""), http.StatusOK)
	if len(list) != 2 || list[0].ID != tok.ID || list[0].Token != "" || list[1].Token != "" {
		t.Errorf("list = %+v, want both tokens without their secrets", list)
	}

	tests := map[string]struct {
		body   string
		fields []string
	}{
		"unknown field":     {`{"one_time": true, "expires": "1h"}`, []string{"expires"}},
		"bad duration":      {`{"ttl": "forever"}`, []string{"ttl"}},
		"negative duration": {`{"ttl": -5}`, []string{"ttl"}},
		"wrong type":        {`{"one_time": "yes", "description": 3}`, []string{"description", "one_time"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, h.do("POST", "/api/v1/node-sources/ws/tokens", h.admin, "application/json", tc.body),
				http.StatusBadRequest, api.CodeInvalid)
			if got := fieldsOf(e); !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("fields = %v, want %v (%+v)", got, tc.fields, e.Errors)
			}
		})
	}

	if resp := h.do("DELETE", "/api/v1/node-sources/ws/tokens/"+tok.ID, h.admin, "", ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("revoke: status %d", resp.StatusCode)
	}
	wantError(t, h.do("DELETE", "/api/v1/node-sources/ws/tokens/"+tok.ID, h.admin, "", ""), http.StatusNotFound, api.CodeNotFound)
	list = decode[[]api.EnrollToken](t, h.do("GET", "/api/v1/node-sources/ws/tokens", h.admin, "", ""), http.StatusOK)
	if len(list) != 1 || list[0].ID != plain.ID {
		t.Errorf("after the revoke = %+v", list)
	}
}

func TestJoinNeedsNoLogin(t *testing.T) {
	h := newHarness(t, rest.Options{})
	enrollSource(h)
	tok := decode[api.EnrollToken](t, h.do("POST", "/api/v1/node-sources/ws/tokens", h.admin, "", ""), http.StatusCreated)

	cred := decode[api.NodeCredentials](t, h.join(`{"token": "`+tok.Token+`", "name": "ws12"}`, nil), http.StatusOK)
	if cred.Name != "ws12" || cred.Source != "ws" || cred.Secret == "" || cred.NATSURL == "" || cred.Server != h.srv.URL {
		t.Errorf("credentials = %+v, want server %s", cred, h.srv.URL)
	}
	nodes := decode[[]api.Node](t, h.do("GET", "/api/v1/nodes?source=ws", h.alice, "", ""), http.StatusOK)
	if len(nodes) != 1 || nodes[0].Name != "ws12" || nodes[0].State != api.NodeConfiguring {
		t.Errorf("nodes of ws = %+v", nodes)
	}
	got := decode[[]api.EnrollToken](t, h.do("GET", "/api/v1/node-sources/ws/tokens", h.admin, "", ""), http.StatusOK)
	if len(got) != 1 || got[0].Uses != 1 {
		t.Errorf("tokens after a join = %+v, want 1 use", got)
	}

	host := strings.TrimPrefix(h.srv.URL, "http://")
	for proto, want := range map[string]string{"https": "https://" + host, "HTTPS, http": "https://" + host, "gopher": h.srv.URL} {
		cred = decode[api.NodeCredentials](t, h.join(`{"token": "`+tok.Token+`", "name": "ws12"}`,
			map[string]string{"X-Forwarded-Proto": proto}), http.StatusOK)
		if cred.Server != want {
			t.Errorf("X-Forwarded-Proto %q: server %q, want %q", proto, cred.Server, want)
		}
	}
}

func TestJoinRefused(t *testing.T) {
	h := newHarness(t, rest.Options{})
	enrollSource(h)
	once := decode[api.EnrollToken](t, h.do("POST", "/api/v1/node-sources/ws/tokens", h.admin, "application/json",
		`{"one_time": true}`), http.StatusCreated)
	decode[api.NodeCredentials](t, h.join(`{"token": "`+once.Token+`", "name": "ws1"}`, nil), http.StatusOK)
	wantError(t, h.join(`{"token": "`+once.Token+`", "name": "ws2"}`, nil), http.StatusUnauthorized, api.CodeBadToken)
	wantError(t, h.join(`{"token": "nope", "name": "ws2"}`, nil), http.StatusUnauthorized, api.CodeBadToken)

	short := decode[api.EnrollToken](t, h.do("POST", "/api/v1/node-sources/ws/tokens", h.admin, "application/json",
		`{"ttl": "10m"}`), http.StatusCreated)
	h.fake.AdvanceClock(11 * time.Minute)
	wantError(t, h.join(`{"token": "`+short.Token+`", "name": "ws2"}`, nil), http.StatusUnauthorized, api.CodeBadToken)

	tests := map[string]struct {
		body   string
		fields []string
	}{
		"missing":       {`{}`, []string{"token", "name"}},
		"bad name":      {`{"token": "x", "name": "a b"}`, []string{"name"}},
		"unknown field": {`{"token": "x", "name": "a", "secret": "s"}`, []string{"secret"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, h.join(tc.body, nil), http.StatusBadRequest, api.CodeInvalid)
			if got := fieldsOf(e); !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("fields = %v, want %v", got, tc.fields)
			}
		})
	}
	wantError(t, h.join("", nil), http.StatusBadRequest, api.CodeBadRequest)
}
