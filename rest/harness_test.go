package rest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/rest/resttest"
)

// harness is a REST server over a FakeBackend with two logged-in users.
type harness struct {
	t     *testing.T
	fake  *resttest.FakeBackend
	srv   *httptest.Server
	admin string // token of "root", an admin
	alice string // token of "alice", a user
}

func newHarness(t *testing.T, opts rest.Options) *harness {
	t.Helper()
	fake := resttest.NewFakeBackend()
	h := &harness{
		t:     t,
		fake:  fake,
		admin: fake.AddUser("root", "root-pw", api.RoleAdmin),
		alice: fake.AddUser("alice", "alice-pw", api.RoleUser),
	}
	if opts.LogPoll == 0 {
		opts.LogPoll = 5 * time.Millisecond
	}
	h.srv = httptest.NewServer(rest.New(fake, opts))
	t.Cleanup(h.srv.Close)
	return h
}

// do sends a request; body may be "" for none.
func (h *harness) do(method, path, token, contentType, body string) *http.Response {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatalf("new request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	h.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// submit posts a job document as alice and returns the new job's id.
func (h *harness) submit(doc string) int64 {
	h.t.Helper()
	resp := h.do("POST", "/api/v1/jobs", h.alice, "application/json", doc)
	sub := decode[api.SubmitResponse](h.t, resp, http.StatusCreated)
	return sub.ID
}

// decode checks the status and decodes the JSON body.
func decode[T any](t *testing.T, resp *http.Response, status int) T {
	t.Helper()
	var v T
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s",
			resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return v
}

// wantError checks that resp is a JSON api.Error with status and code.
func wantError(t *testing.T, resp *http.Response, status int, code api.Code) *api.Error {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	e := decode[api.Error](t, resp, status)
	if e.Code != code {
		t.Errorf("code = %q, want %q (message %q)", e.Code, code, e.Message)
	}
	if e.Message == "" {
		t.Errorf("error has no message")
	}
	return &e
}

// validJob is a job document every parser accepts.
const validJob = `{"name": "hello", "tasks": [{"name": "say", "command": ["echo", "hi"]}]}`
