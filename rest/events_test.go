package rest_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

const eventJob = `{"name": "ev", "tasks": [{"name": "t", "command": ["true"]}]}`

// sseStream is an open GET /events response.
type sseStream struct {
	t  *testing.T
	rd *bufio.Reader
}

// openEvents opens an event stream; the request ends with the test, or
// after a generous hang-detector timeout.
func (h *harness) openEvents(path, token, lastID string) *sseStream {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	h.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", h.srv.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	h.t.Cleanup(func() { _ = resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		h.t.Errorf("Content-Type = %q, want text/event-stream", ct)
	}
	return &sseStream{t: h.t, rd: bufio.NewReader(resp.Body)}
}

// next returns the lines of the next message (pings included), without
// the blank line that ends it.
func (s *sseStream) next() []string {
	s.t.Helper()
	var lines []string
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			s.t.Fatalf("reading the stream after %q: %v", lines, err)
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			return lines
		}
		lines = append(lines, line)
	}
}

// nextEvent skips pings and returns the next message.
func (s *sseStream) nextEvent() []string {
	s.t.Helper()
	for {
		if m := s.next(); m[0] != ": ping" {
			return m
		}
	}
}

// wantMessage checks one SSE message: its id and event (as JSON).
func wantMessage(t *testing.T, got []string, e api.Event) {
	t.Helper()
	data := fmt.Sprintf(`data: {"seq":%d,"time":"2025-01-02T03:04:05Z","kind":%q`, e.Seq, e.Kind)
	if len(got) != 2 || got[0] != fmt.Sprintf("id: %d", e.Seq) || !strings.HasPrefix(got[1], data) {
		t.Fatalf("message %q, want id %d and %s...", got, e.Seq, data)
	}
}

func TestEventsReplayThenLiveWithFilters(t *testing.T) {
	h := newHarness(t, rest.Options{})
	mine := h.submit(eventJob)
	theirs := decode[api.SubmitResponse](t, h.do("POST", "/api/v1/jobs", h.admin, "application/json", eventJob), http.StatusCreated).ID
	h.fake.PublishEvent(api.Event{Kind: "node", Node: "n1", State: "FREE"})
	e2 := h.fake.PublishEvent(api.Event{Kind: "job", JobID: mine, State: "RUNNING"})
	e3 := h.fake.PublishEvent(api.Event{Kind: "job", JobID: theirs, State: "RUNNING"})
	e4 := h.fake.PublishEvent(api.Event{Kind: "task", JobID: mine, Task: "t", State: "FINISHED"})

	t.Run("user sees node events and own jobs", func(t *testing.T) {
		s := h.openEvents("/api/v1/events?after=1", h.alice, "")
		wantMessage(t, s.nextEvent(), e2)
		wantMessage(t, s.nextEvent(), e4)
		e5 := h.fake.PublishEvent(api.Event{Kind: "node", Node: "n1", State: "BUSY"})
		wantMessage(t, s.nextEvent(), e5)
	})
	t.Run("Last-Event-ID wins over after", func(t *testing.T) {
		s := h.openEvents("/api/v1/events?after=0", h.admin, "2")
		wantMessage(t, s.nextEvent(), e3)
		wantMessage(t, s.nextEvent(), e4)
	})
	t.Run("job filter", func(t *testing.T) {
		s := h.openEvents(fmt.Sprintf("/api/v1/events?job=%d", mine), h.admin, "")
		wantMessage(t, s.nextEvent(), e2)
		wantMessage(t, s.nextEvent(), e4)
		e6 := h.fake.PublishEvent(api.Event{Kind: "job", JobID: theirs, State: "FINISHED"})
		e7 := h.fake.PublishEvent(api.Event{Kind: "job", JobID: mine, State: "FINISHED"})
		wantMessage(t, s.nextEvent(), e7)
		if e6.Seq >= e7.Seq {
			t.Fatalf("seq %d after %d", e6.Seq, e7.Seq)
		}
	})
	t.Run("another user's job is not found", func(t *testing.T) {
		wantError(t, h.do("GET", fmt.Sprintf("/api/v1/events?job=%d", theirs), h.alice, "", ""), http.StatusNotFound, api.CodeNotFound)
	})
}

func TestEventsBadInput(t *testing.T) {
	h := newHarness(t, rest.Options{})
	for _, tc := range []struct{ query, lastID, field string }{
		{"?after=-1", "", "after"},
		{"?after=x", "", "after"},
		{"?job=x", "", "job"},
		{"", "abc", "Last-Event-ID"},
	} {
		req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/events"+tc.query, nil)
		req.Header.Set("Authorization", "Bearer "+h.alice)
		req.Header.Set("Last-Event-ID", tc.lastID)
		resp, err := h.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		e := wantError(t, resp, http.StatusBadRequest, api.CodeInvalid)
		_ = resp.Body.Close()
		if len(e.Errors) != 1 || e.Errors[0].Field != tc.field {
			t.Errorf("%s %q: errors %+v, want one on %s", tc.query, tc.lastID, e.Errors, tc.field)
		}
	}
	if resp := h.do("GET", "/api/v1/events", "", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", resp.StatusCode)
	}
}

func TestEventsPingAndOverflow(t *testing.T) {
	h := newHarness(t, rest.Options{EventPing: time.Millisecond})
	h.fake.SetEventBuffer(2)
	var evs []api.Event
	for i := range 5 {
		evs = append(evs, h.fake.PublishEvent(api.Event{Kind: "node", Node: fmt.Sprintf("n%d", i), State: "FREE"}))
	}
	s := h.openEvents("/api/v1/events", h.alice, "")
	wantMessage(t, s.nextEvent(), evs[0])
	wantMessage(t, s.nextEvent(), evs[1])
	over := s.nextEvent()
	if len(over) != 3 || over[0] != "event: overflow" || over[1] != "id: 2" {
		t.Fatalf("overflow message %q", over)
	}
	if _, err := s.rd.ReadString('\n'); err == nil {
		t.Fatal("the stream goes on after an overflow")
	}

	// A quiet stream gets pings.
	s = h.openEvents("/api/v1/events?after=5", h.alice, "")
	if m := s.next(); len(m) != 1 || m[0] != ": ping" {
		t.Fatalf("first message of a quiet stream %q, want a ping", m)
	}
}
