package rest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestHealthNeedsNoAuth(t *testing.T) {
	h := newHarness(t, rest.Options{})
	got := decode[api.Health](t, h.do("GET", "/healthz", "", "", ""), http.StatusOK)
	if got.Status != "ok" || got.Version != api.Version {
		t.Errorf("health = %+v, want ok and version %s", got, api.Version)
	}
}

func TestUnknownRouteIsJSON404(t *testing.T) {
	h := newHarness(t, rest.Options{})
	for _, path := range []string{"/nope", "/api/v1/nope", "/api/v2/jobs"} {
		wantError(t, h.do("GET", path, h.admin, "", ""), http.StatusNotFound, api.CodeNotFound)
	}
	wantError(t, h.do("PUT", "/api/v1/jobs", h.admin, "", ""), http.StatusNotFound, api.CodeNotFound)
}

func TestWebPage(t *testing.T) {
	h := newHarness(t, rest.Options{})
	resp := h.do("GET", "/", "", "", "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	for _, want := range []string{"<title>Shrike</title>", "/auth/login", "sessionStorage", "/nodes", "/node-sources", "/explain"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("web page lacks %q", want)
		}
	}
}
