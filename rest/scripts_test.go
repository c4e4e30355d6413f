package rest_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestScriptTest(t *testing.T) {
	h := newHarness(t, rest.Options{})
	selectionNodes(h)
	h.fake.SetNodeFacts("lin1", api.NodeFacts{GPUs: []api.GPU{{Model: "NVIDIA A100"}}})
	tests := map[string]struct {
		body     string
		selected bool
		reason   string
	}{
		"library file":   {`{"script": {"file": "gpu.lua", "args": ["a100"]}, "node": "lin1"}`, true, ""},
		"library, false": {`{"script": {"file": "gpu.lua", "args": ["h100"]}, "node": "lin1"}`, false, "returned false"},
		"inline with vars": {`{"script": {"lua": "return node.os == vars.want"}, "node": "mac",
			"vars": {"want": "darwin"}}`, true, ""},
		"error": {`{"script": {"lua": "return node.nope.x"}, "node": "mac"}`, false, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := h.do("POST", "/api/v1/scripts/test", h.admin, "application/json", tc.body)
			got := decode[api.ScriptTestResult](t, resp, http.StatusOK)
			v := got.Verdict
			if v.Selected != tc.selected || (tc.reason != "" && v.Reason != tc.reason) || (!v.Selected && v.Reason == "") {
				t.Errorf("verdict = %+v, want selected %v, reason %q", v, tc.selected, tc.reason)
			}
			if got.Digest == "" || got.Facts["name"] != got.Node || got.Facts["os"] == "" {
				t.Errorf("result = %+v, want a digest and the node's facts", got)
			}
		})
	}
}

func TestScriptTestRefused(t *testing.T) {
	h := newHarness(t, rest.Options{})
	selectionNodes(h)
	ok := `{"script": {"file": "linux.lua"}, "node": "lin1"}`
	wantError(t, h.do("POST", "/api/v1/scripts/test", h.alice, "", ok), http.StatusForbidden, api.CodeForbidden)
	wantError(t, h.do("POST", "/api/v1/scripts/test", h.admin, "", `{"script": {"file": "linux.lua"}, "node": "nope"}`),
		http.StatusNotFound, api.CodeNotFound)
	invalid := map[string]struct {
		body   string
		fields []string
	}{
		"no node":               {`{"script": {"file": "linux.lua"}}`, []string{"node"}},
		"lua and file":          {`{"script": {"file": "linux.lua", "lua": "return true"}, "node": "lin1"}`, []string{"script"}},
		"neither":               {`{"script": {}, "node": "lin1"}`, []string{"script"}},
		"unknown file":          {`{"script": {"file": "nope.lua"}, "node": "lin1"}`, []string{"script.file"}},
		"bad type":              {`{"script": {"file": "linux.lua", "type": "sometimes"}, "node": "lin1"}`, []string{"script.type"}},
		"syntax error":          {`{"script": {"lua": "return ("}, "node": "lin1"}`, []string{"script.lua"}},
		"unknown field":         {`{"script": {"file": "linux.lua"}, "nod": "lin1"}`, []string{"nod"}},
		"wrong type":            {`{"script": {"file": "linux.lua", "args": "x"}, "node": "lin1"}`, []string{"script.args"}},
		"every problem at once": {`{"script": {"type": "x"}}`, []string{"script", "script.type", "node"}},
	}
	for name, tc := range invalid {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, h.do("POST", "/api/v1/scripts/test", h.admin, "", tc.body), http.StatusBadRequest, api.CodeInvalid)
			if !slices.Equal(fieldsOf(e), tc.fields) {
				t.Errorf("fields %v, want %v (%v)", fieldsOf(e), tc.fields, e.Errors)
			}
		})
	}
	wantError(t, h.do("POST", "/api/v1/scripts/test", h.admin, "", "{"), http.StatusBadRequest, api.CodeBadRequest)
	wantError(t, h.do("POST", "/api/v1/scripts/test", h.admin, "", ""), http.StatusBadRequest, api.CodeBadRequest)
	h.fake.FailWith(api.Errorf(api.CodeUnavailable, "node did not answer"))
	wantError(t, h.do("POST", "/api/v1/scripts/test", h.admin, "", ok), http.StatusServiceUnavailable, api.CodeUnavailable)
}
