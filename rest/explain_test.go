package rest_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// selectionNodes sets up lin1 and lin2 (FREE, Linux), mac (FREE, macOS)
// and gone (DOWN, Linux).
func selectionNodes(h *harness) {
	node := func(name, os string, st api.NodeState) api.Node {
		return api.Node{Name: name, State: st, OS: os, Arch: "amd64", CPUs: 4, Slots: 4, Memory: 8 << 30}
	}
	h.fake.SetNodes(node("lin1", "linux", api.NodeFree), node("lin2", "linux", api.NodeFree),
		node("mac", "darwin", api.NodeFree), node("gone", "linux", api.NodeDown))
}

// linuxJob is a job whose one task must run on Linux.
const linuxJob = `{"name": "lin", "tasks": [{"name": "build", "command": ["make"],
	"selection": [{"file": "linux.lua"}]}]}`

func explainPath(id int64, query string) string {
	return fmt.Sprintf("/api/v1/jobs/%d/explain%s", id, query)
}

func TestExplainJob(t *testing.T) {
	h := newHarness(t, rest.Options{})
	selectionNodes(h)
	id := h.submit(linuxJob)
	got := decode[api.JobExplain](t, h.do("GET", explainPath(id, ""), h.alice, "", ""), http.StatusOK)
	if got.JobID != id || len(got.Tasks) != 1 {
		t.Fatalf("explain = %+v, want job %d with one task", got, id)
	}
	task := got.Tasks[0]
	wantReasons := []api.Reason{{Count: 1, Message: "down"}, {Count: 1, Message: "linux.lua returned false"}}
	if task.Task != "build" || task.State != api.TaskPending || task.Eligible != 2 ||
		!slices.Equal(task.Nodes, []string{"lin1", "lin2"}) || !reflect.DeepEqual(task.Reasons, wantReasons) {
		t.Errorf("task = %+v, want build PENDING on lin1 and lin2, reasons %v", task, wantReasons)
	}
	if task.Node != nil {
		t.Errorf("node verdict %+v without ?node=", task.Node)
	}
}

func TestExplainJobNode(t *testing.T) {
	h := newHarness(t, rest.Options{})
	selectionNodes(h)
	id := h.submit(linuxJob)
	want := &api.NodeVerdict{Node: "mac", Reasons: []string{"linux.lua returned false"},
		Scripts: []api.ScriptVerdict{{Script: "linux.lua", Type: api.SelectionStatic, Reason: "returned false"}}}
	for _, cached := range []bool{false, true} {
		got := decode[api.JobExplain](t, h.do("GET", explainPath(id, "?node=mac"), h.alice, "", ""), http.StatusOK)
		want.Scripts[0].Cached = cached
		if v := got.Tasks[0].Node; !reflect.DeepEqual(v, want) {
			t.Errorf("verdict of mac = %+v, want %+v", v, want)
		}
	}
	got := decode[api.JobExplain](t, h.do("GET", explainPath(id, "?node=lin1"), h.alice, "", ""), http.StatusOK)
	if v := got.Tasks[0].Node; v == nil || v.Node != "lin1" || !v.Fits || len(v.Reasons) != 0 {
		t.Errorf("verdict of lin1 = %+v, want it fits", v)
	}
}

func TestExplainJobErrors(t *testing.T) {
	h := newHarness(t, rest.Options{})
	selectionNodes(h)
	bob := h.fake.AddUser("bob", "bob-pw", api.RoleUser)
	id := h.submit(linuxJob)
	wantError(t, h.do("GET", explainPath(99, ""), h.alice, "", ""), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.do("GET", explainPath(id, ""), bob, "", ""), http.StatusNotFound, api.CodeNotFound)
	decode[api.JobExplain](t, h.do("GET", explainPath(id, ""), h.admin, "", ""), http.StatusOK)
	wantError(t, h.do("GET", "/api/v1/jobs/x/explain", h.alice, "", ""), http.StatusBadRequest, api.CodeBadRequest)
	wantError(t, h.do("GET", explainPath(id, "?node=nope"), h.alice, "", ""), http.StatusNotFound, api.CodeNotFound)
	e := wantError(t, h.do("GET", explainPath(id, "?node=a.b"), h.alice, "", ""), http.StatusBadRequest, api.CodeInvalid)
	if !slices.Equal(fieldsOf(e), []string{"node"}) {
		t.Errorf("bad node name: fields %v, want [node]", fieldsOf(e))
	}
	h.fake.FailWith(api.Errorf(api.CodeUnavailable, "store down"))
	wantError(t, h.do("GET", explainPath(id, ""), h.alice, "", ""), http.StatusServiceUnavailable, api.CodeUnavailable)
}

func TestExplainOnlyPendingTasks(t *testing.T) {
	h := newHarness(t, rest.Options{})
	selectionNodes(h)
	id := h.submit(`{"name": "two", "tasks": [{"name": "a", "command": ["true"]}, {"name": "b", "command": ["true"]}]}`)
	h.fake.ScriptStates(id, api.JobRunning)
	decode[api.Job](t, h.do("GET", fmt.Sprintf("/api/v1/jobs/%d", id), h.alice, "", ""), http.StatusOK) // a starts
	got := decode[api.JobExplain](t, h.do("GET", explainPath(id, ""), h.alice, "", ""), http.StatusOK)
	if len(got.Tasks) != 1 || got.Tasks[0].Task != "b" {
		t.Errorf("explained tasks %+v, want only the pending b", got.Tasks)
	}
}

func TestDryRun(t *testing.T) {
	h := newHarness(t, rest.Options{})
	selectionNodes(h)
	doc := `
name: dry
variables: {os: linux}
tasks:
  - name: build
    command: [make]
    selection: [{lua: "return node.os == vars.os"}]
  - name: big
    command: [make]
    resources: {memory: 64GiB}
`
	resp := h.do("POST", "/api/v1/jobs?dry_run=true&var=os=darwin", h.alice, "application/yaml", doc)
	got := decode[api.JobExplain](t, resp, http.StatusOK)
	if n := len(h.fake.Submitted()); n != 0 {
		t.Errorf("a dry run stored %d jobs", n)
	}
	list := decode[api.JobList](t, h.do("GET", "/api/v1/jobs", h.alice, "", ""), http.StatusOK)
	if list.Total != 0 {
		t.Errorf("jobs after a dry run: %+v", list)
	}
	if len(got.Tasks) != 2 {
		t.Fatalf("dry run = %+v, want two tasks", got)
	}
	if b := got.Tasks[0]; b.Eligible != 1 || !slices.Equal(b.Nodes, []string{"mac"}) {
		t.Errorf("build = %+v, want only mac (the variable override applies)", b)
	}
	if big := got.Tasks[1]; big.Eligible != 0 || len(big.Reasons) != 2 {
		t.Errorf("big = %+v, want no node and two reasons", big)
	}
	want := []string{"task big: no current node can run it: 3 nodes: not enough memory (needs 64GiB, free 8GiB); 1 node: down"}
	if !slices.Equal(got.Warnings, want) {
		t.Errorf("warnings = %q, want %q", got.Warnings, want)
	}
}

func TestDryRunInvalid(t *testing.T) {
	h := newHarness(t, rest.Options{})
	doc := `{"name": "", "tasks": [{"name": "a", "resources": {"memory": "lots"}}]}`
	dry := wantError(t, h.do("POST", "/api/v1/jobs?dry_run=true", h.alice, "", doc), http.StatusBadRequest, api.CodeInvalid)
	sub := wantError(t, h.do("POST", "/api/v1/jobs", h.alice, "", doc), http.StatusBadRequest, api.CodeInvalid)
	if len(dry.Errors) < 2 || !reflect.DeepEqual(dry.Errors, sub.Errors) {
		t.Errorf("dry run errors %v, want the submission's %v", dry.Errors, sub.Errors)
	}
	e := wantError(t, h.do("POST", "/api/v1/jobs?dry_run=maybe", h.alice, "", validJob), http.StatusBadRequest, api.CodeInvalid)
	if !slices.Equal(fieldsOf(e), []string{"dry_run"}) {
		t.Errorf("dry_run=maybe: fields %v", fieldsOf(e))
	}
	wantError(t, h.do("POST", "/api/v1/jobs?dry_run=true", h.alice, "", ""), http.StatusBadRequest, api.CodeBadRequest)
	h.fake.FailWith(api.Invalid([]api.FieldError{{Field: "tasks[0].selection[0]", Message: "no"}}))
	e = wantError(t, h.do("POST", "/api/v1/jobs?dry_run=1", h.alice, "", validJob), http.StatusBadRequest, api.CodeInvalid)
	if !slices.Equal(fieldsOf(e), []string{"tasks[0].selection[0]"}) {
		t.Errorf("backend's errors: fields %v", fieldsOf(e))
	}
	if n := len(h.fake.Submitted()); n != 0 {
		t.Errorf("stored %d jobs", n)
	}
}

func TestSubmitWarningsPassThrough(t *testing.T) {
	h := newHarness(t, rest.Options{})
	w := "task build: no current node can run it: 12 nodes: gpu.lua returned false"
	h.fake.SetWarnings(w)
	got := decode[api.SubmitResponse](t, h.do("POST", "/api/v1/jobs", h.alice, "", validJob), http.StatusCreated)
	if !slices.Equal(got.Warnings, []string{w}) {
		t.Errorf("warnings = %q, want %q", got.Warnings, w)
	}
}
