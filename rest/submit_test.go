package rest_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/jobspec"
	"github.com/shrike-grid/shrike/rest"
)

const yamlJob = `
name: hello
tasks:
  - name: say
    command: [echo, hi]
`

func TestSubmit(t *testing.T) {
	tests := map[string]struct{ contentType, doc string }{
		"JSON":               {"application/json", validJob},
		"JSON, no type":      {"", validJob},
		"YAML":               {"application/yaml", yamlJob},
		"x-yaml":             {"application/x-yaml", yamlJob},
		"text/yaml; charset": {"text/yaml; charset=utf-8", yamlJob},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, rest.Options{})
			h.fake.SetWarnings("task say: no walltime")
			resp := h.do("POST", "/api/v1/jobs", h.alice, tc.contentType, tc.doc)
			got := decode[api.SubmitResponse](t, resp, http.StatusCreated)
			if got.ID != 1 || len(got.Warnings) != 1 {
				t.Errorf("submit = %+v, want id 1 and one warning", got)
			}
			specs := h.fake.Submitted()
			if len(specs) != 1 {
				t.Fatalf("backend got %d jobs, want 1", len(specs))
			}
			if s := specs[0]; s.Name != "hello" || len(s.Tasks) != 1 ||
				!reflect.DeepEqual(s.Tasks[0].Command, []string{"echo", "hi"}) {
				t.Errorf("stored spec = %+v", s)
			}
		})
	}
}

func TestSubmitInvalidReportsEveryProblem(t *testing.T) {
	h := newHarness(t, rest.Options{})
	doc := `{"name": "", "tasks": [
		{"name": "a", "resources": {"memory": "lots"}},
		{"name": "a", "command": ["true"], "depends_on": ["nope"]}]}`
	_, want := jobspec.Parse([]byte(doc))
	if len(want) < 2 {
		t.Fatalf("test document has %d problems, want at least 2: %v", len(want), want)
	}
	resp := h.do("POST", "/api/v1/jobs", h.alice, "application/json", doc)
	got := wantError(t, resp, http.StatusBadRequest, api.CodeInvalid)
	if !reflect.DeepEqual(got.Errors, want) {
		t.Errorf("field errors = %v, want %v", got.Errors, want)
	}
	if n := len(h.fake.Submitted()); n != 0 {
		t.Errorf("backend stored %d jobs from an invalid document", n)
	}
}

func TestSubmitRejectsBadBodies(t *testing.T) {
	h := newHarness(t, rest.Options{})
	tests := map[string]struct{ contentType, doc string }{
		"empty":          {"application/json", "  \n"},
		"YAML as JSON":   {"application/json", yamlJob},
		"YAML untyped":   {"text/plain", yamlJob},
		"truncated JSON": {"application/json", `{"name": "x"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := h.do("POST", "/api/v1/jobs", h.alice, tc.contentType, tc.doc)
			wantError(t, resp, http.StatusBadRequest, api.CodeBadRequest)
		})
	}
}

func TestSubmitVariables(t *testing.T) {
	h := newHarness(t, rest.Options{})
	doc := `{"name": "vars", "variables": {"who": "nobody", "n": "1"},
		"tasks": [{"name": "say", "command": ["echo", "${who}"]}]}`
	resp := h.do("POST", "/api/v1/jobs?var=who=world&var=n=2&var=n=3", h.alice, "application/json", doc)
	decode[api.SubmitResponse](t, resp, http.StatusCreated)
	got := h.fake.Submitted()[0].Variables
	if got["who"] != "world" || got["n"] != "3" {
		t.Errorf("variables = %v, want who=world and n=3 (the last one wins)", got)
	}
}

func TestSubmitBadVariable(t *testing.T) {
	h := newHarness(t, rest.Options{})
	resp := h.do("POST", "/api/v1/jobs?var=noequals&var==empty", h.alice, "application/json", validJob)
	e := wantError(t, resp, http.StatusBadRequest, api.CodeInvalid)
	if len(e.Errors) != 2 || e.Errors[0].Field != "var" || e.Errors[1].Field != "var" {
		t.Errorf("field errors = %v, want two about var", e.Errors)
	}
}

func TestBodyTooLarge(t *testing.T) {
	h := newHarness(t, rest.Options{MaxBodyBytes: 64})
	big := `{"name": "` + strings.Repeat("x", 100) + `", "tasks": []}`
	for _, path := range []string{"/api/v1/jobs", "/api/v1/users", "/api/v1/auth/login"} {
		resp := h.do("POST", path, h.admin, "application/json", big)
		wantError(t, resp, http.StatusRequestEntityTooLarge, api.CodeBadRequest)
	}
	small := `{"name":"s","tasks":[{"name":"t","command":["true"]}]}` // under the limit
	decode[api.SubmitResponse](t, h.do("POST", "/api/v1/jobs", h.alice, "", small), http.StatusCreated)
}
