package rest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func logsPath(id int64, task, query string) string {
	return fmt.Sprintf("/api/v1/jobs/%d/tasks/%s/logs%s", id, task, query)
}

func TestTaskLogWithoutFollow(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	h.fake.AppendLog(id, "say", "hello\nworld\n")
	tests := map[string]struct{ query, want string }{
		"all":         {"", "hello\nworld\n"},
		"from offset": {"?offset=6", "world\n"},
		"past end":    {"?offset=100", ""},
		"attempt 1":   {"?attempt=1&follow=false", "hello\nworld\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp := h.do("GET", logsPath(id, "say", tc.query), h.alice, "", "")
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || string(body) != tc.want {
				t.Errorf("status %d body %q, want 200 %q", resp.StatusCode, body, tc.want)
			}
			if got := resp.Header.Get("X-Shrike-Attempt"); got != "1" {
				t.Errorf("X-Shrike-Attempt = %q, want 1", got)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type = %q, want text/plain", ct)
			}
		})
	}
}

func TestTaskLogErrors(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	wantError(t, h.do("GET", logsPath(id, "nope", ""), h.alice, "", ""), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.do("GET", logsPath(id, "say", "?attempt=2"), h.alice, "", ""), http.StatusNotFound, api.CodeNotFound)
	e := wantError(t, h.do("GET", logsPath(id, "say", "?attempt=x&offset=-1&follow=maybe"), h.alice, "", ""),
		http.StatusBadRequest, api.CodeInvalid)
	if len(e.Errors) != 3 {
		t.Errorf("field errors = %v, want attempt, offset and follow", e.Errors)
	}
}

func TestTaskLogFollowStreamsUntilDone(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	first := "starting\n"
	h.fake.AppendLog(id, "say", first)

	resp := h.do("GET", logsPath(id, "say", "?follow=true"), h.alice, "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	// The first page arrives while the task still runs.
	buf := make([]byte, len(first))
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != first {
		t.Fatalf("first read = %q, %v; want %q", buf, err, first)
	}
	// More than one 64 KiB page arrives later, then the task ends.
	rest := strings.Repeat("0123456789abcdef", 10_000) + "done\n"
	h.fake.AppendLog(id, "say", rest)
	h.fake.EndLog(id, "say")

	tail, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	if string(tail) != rest {
		t.Errorf("streamed %d bytes after the first page, want %d", len(tail), len(rest))
	}
	if calls := h.fake.TaskLogCalls(); calls < 4 {
		t.Errorf("TaskLog called %d times, want at least 4 (pages of 64 KiB)", calls)
	}
}

func TestTaskLogFollowStopsWhenClientLeaves(t *testing.T) {
	h := newHarness(t, rest.Options{})
	id := h.submit(validJob)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+logsPath(id, "say", "?follow=1"), nil)
	req.Header.Set("Authorization", "Bearer "+h.alice)
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	cancel()

	// The handler stops polling once the client is gone.
	deadline := time.Now().Add(5 * time.Second)
	for prev := -1; ; {
		time.Sleep(50 * time.Millisecond)
		calls := h.fake.TaskLogCalls()
		if calls == prev {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still polling %v after the client left (%d calls)", 5*time.Second, calls)
		}
		prev = calls
	}
}
