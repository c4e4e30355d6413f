package rest_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestTaskExecStreamsNDJSON(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	h.fake.RunTaskOn(id, "say", "n1", "n2")
	path := "/api/v1/jobs/" + itoa(id) + "/tasks/say/exec"

	resp := h.do("POST", path, h.alice, "application/json",
		`{"node": "n2", "command": ["/bin/sh", "-c", "echo out; echo err >&2; echo $SHRIKE_NODE $X; exit 3"], "env": {"X": "x"}}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type %q", ct)
	}
	var lines []api.ExecOutput
	var raw []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		raw = append(raw, sc.Text())
		var o api.ExecOutput
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, o)
	}
	var stdout, stderr strings.Builder
	for _, o := range lines[:len(lines)-1] {
		switch o.Stream {
		case api.StreamStdout:
			stdout.Write(o.Data)
		case api.StreamStderr:
			stderr.Write(o.Data)
		default:
			t.Errorf("an output line without a stream before the end: %+v", o)
		}
	}
	last := lines[len(lines)-1]
	if last.ExitCode == nil || *last.ExitCode != 3 || last.Error != nil {
		t.Errorf("last line %s, want exit code 3", raw[len(raw)-1])
	}
	if stdout.String() != "out\nn2 x\n" || stderr.String() != "err\n" {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

func TestTaskExecRefusals(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	path := "/api/v1/jobs/" + itoa(id) + "/tasks/say/exec"
	body := `{"node": "n1", "command": ["true"]}`
	wantError(t, h.do("POST", path, h.alice, "application/json", body), http.StatusConflict, api.CodeConflict) // not running

	h.fake.RunTaskOn(id, "say", "n1", "n2")
	e := wantError(t, h.do("POST", path, h.alice, "application/json", `{"node": "n3", "command": ["true"]}`), http.StatusBadRequest, api.CodeInvalid)
	if len(e.Errors) != 1 || e.Errors[0].Field != "node" {
		t.Errorf("a node not the task's: %+v, want an error on field node", e)
	}
	e = wantError(t, h.do("POST", path, h.alice, "application/json", `{"command": []}`), http.StatusBadRequest, api.CodeInvalid)
	if len(e.Errors) != 2 {
		t.Errorf("no node, no command: %+v, want two field errors", e)
	}
	wantError(t, h.do("POST", path, h.alice, "application/json", `{"node": "n1", "cmd": ["true"]}`), http.StatusBadRequest, api.CodeInvalid)
	wantError(t, h.do("POST", path, h.alice, "", ""), http.StatusBadRequest, api.CodeBadRequest)
	wantError(t, h.do("POST", "/api/v1/jobs/"+itoa(id)+"/tasks/nope/exec", h.alice, "application/json", body), http.StatusNotFound, api.CodeNotFound)
	bob := h.fake.AddUser("bob", "bob-pw", api.RoleUser)
	wantError(t, h.do("POST", path, bob, "application/json", body), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.do("POST", path, "", "application/json", body), http.StatusUnauthorized, api.CodeUnauthorized)
	// An admin may exec into anyone's task.
	resp := h.do("POST", path, h.admin, "application/json", body)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("admin: status %d", resp.StatusCode)
	}
}
