package rest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

const twoTaskJob = `{"name": "two", "tasks": [{"name": "a", "command": ["true"]}, {"name": "b", "command": ["true"], "depends_on": ["a"]}]}`

// TestResults: the job's results leave out tasks without one, a task's
// result comes back as its raw JSON, a task without one or an unknown
// task is a 404 naming why, and another user's job is not found.
func TestResults(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(twoTaskJob)
	base := fmt.Sprintf("/api/v1/jobs/%d", id)

	got := decode[api.JobResults](t, h.do("GET", base+"/result", h.alice, "", ""), http.StatusOK)
	if got.Results == nil || len(got.Results) != 0 {
		t.Errorf("results before any: %#v, want an empty object", got.Results)
	}
	h.fake.SetResult(id, "a", `{"n": [1, 2]}`)
	got = decode[api.JobResults](t, h.do("GET", base+"/result", h.alice, "", ""), http.StatusOK)
	if len(got.Results) != 1 || string(got.Results["a"]) != `{"n":[1,2]}` {
		t.Errorf("results: %s", got.Results)
	}

	resp := h.do("GET", base+"/tasks/a/result", h.alice, "", "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != `{"n": [1, 2]}` || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("task a: %d %q (%s)", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	e := wantError(t, h.do("GET", base+"/tasks/b/result", h.alice, "", ""), http.StatusNotFound, api.CodeNotFound)
	if !strings.Contains(e.Message, "task b of job") || !strings.Contains(e.Message, "has no result") {
		t.Errorf("task b: %q", e.Message)
	}
	e = wantError(t, h.do("GET", base+"/tasks/zz/result", h.alice, "", ""), http.StatusNotFound, api.CodeNotFound)
	if !strings.Contains(e.Message, `has no task "zz"`) {
		t.Errorf("unknown task: %q", e.Message)
	}
	bob := h.fake.AddUser("bob", "bob-pw", api.RoleUser)
	wantError(t, h.do("GET", base+"/result", bob, "", ""), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.do("GET", base+"/tasks/a/result", bob, "", ""), http.StatusNotFound, api.CodeNotFound)
	if got := decode[api.JobResults](t, h.do("GET", base+"/result", h.admin, "", ""), http.StatusOK); len(got.Results) != 1 {
		t.Errorf("admin sees %d results, want 1", len(got.Results))
	}
	wantError(t, h.do("GET", base+"/result", "", "", ""), http.StatusUnauthorized, api.CodeUnauthorized)
}

// TestServerLogs: JSON by default, text with format=text or Accept:
// text/plain, after pages, a bad query is a field error.
func TestServerLogs(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	path := fmt.Sprintf("/api/v1/jobs/%d/server-logs", id)
	empty := decode[api.ServerLog](t, h.do("GET", path, h.alice, "", ""), http.StatusOK)
	if empty.Lines == nil || len(empty.Lines) != 0 {
		t.Errorf("no lines yet: %#v, want an empty list", empty.Lines)
	}
	h.fake.AddServerLog(id, "", 0, "submitted by alice")
	h.fake.AddServerLog(id, "say", 1, "placed on node n1 (attempt 1)")

	got := decode[api.ServerLog](t, h.do("GET", path, h.alice, "", ""), http.StatusOK)
	if len(got.Lines) != 2 || got.Lines[1].Task != "say" || got.Lines[1].Attempt != 1 || got.Lines[1].Message != "placed on node n1 (attempt 1)" {
		t.Errorf("lines: %+v", got.Lines)
	}
	got = decode[api.ServerLog](t, h.do("GET", path+"?after=1", h.alice, "", ""), http.StatusOK)
	if len(got.Lines) != 1 || got.Lines[0].Seq != 2 {
		t.Errorf("after=1: %+v", got.Lines)
	}

	wantText := "2025-01-02T03:04:05Z  submitted by alice\n2025-01-02T03:04:05Z say#1  placed on node n1 (attempt 1)\n"
	resp := h.do("GET", path+"?format=text", h.alice, "", "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != wantText || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("format=text: %d %q", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("GET", h.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+h.alice)
	req.Header.Set("Accept", "text/plain, application/json;q=0.5")
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != wantText {
		t.Errorf("Accept: text/plain: %q", body)
	}

	e := wantError(t, h.do("GET", path+"?format=xml&after=x", h.alice, "", ""), http.StatusBadRequest, api.CodeInvalid)
	if len(e.Errors) != 2 {
		t.Errorf("field errors %v, want after and format", e.Errors)
	}
	bob := h.fake.AddUser("bob", "bob-pw", api.RoleUser)
	wantError(t, h.do("GET", path, bob, "", ""), http.StatusNotFound, api.CodeNotFound)
}

// TestTaskLogDoneTrailer: a read without follow ends with the trailer
// X-Shrike-Done, false while the attempt may write more, true once all
// of its output was sent.
func TestTaskLogDoneTrailer(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	h.fake.AppendLog(id, "say", "hello\n")
	read := func(query string) (string, string) {
		resp := h.do("GET", fmt.Sprintf("/api/v1/jobs/%d/tasks/say/logs%s", id, query), h.alice, "", "")
		body, _ := io.ReadAll(resp.Body)
		return string(body), resp.Trailer.Get(api.TrailerLogDone)
	}
	if body, done := read(""); body != "hello\n" || done != "false" {
		t.Errorf("running: %q, done %q", body, done)
	}
	h.fake.AppendLog(id, "say", "bye\n")
	h.fake.EndLog(id, "say")
	if body, done := read("?offset=6"); body != "bye\n" || done != "true" {
		t.Errorf("over: %q, done %q", body, done)
	}
	if _, done := read("?follow=true"); done != "" {
		t.Errorf("a followed read has the trailer %q", done)
	}
}
