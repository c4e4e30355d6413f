package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// logPages serves GET .../logs: each call writes the next page with the
// done trailer; the attempt header says 2.
func logPages(pages []string, doneAt int) http.HandlerFunc {
	var mu sync.Mutex
	calls := 0
	return func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		i := min(calls, len(pages)-1)
		calls++
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set(HeaderAttempt, "2")
		w.Header().Set("Trailer", TrailerLogDone)
		_, _ = io.WriteString(w, pages[i])
		done := "false"
		if i >= doneAt {
			done = "true"
		}
		w.Header().Set(TrailerLogDone, done)
	}
}

// TestFollowTaskLogWakesOnEvents: a followed log reads what exists, then
// waits; the job's event (not the fallback interval, an hour here) wakes
// it, and it reads on from where it stopped, on the attempt the first
// read named, until the server says the attempt is over.
func TestFollowTaskLogWakesOnEvents(t *testing.T) {
	defer func(d time.Duration) { LogFollowPoll = d }(LogFollowPoll)
	LogFollowPoll = time.Hour
	logs := logPages([]string{"one\n", "two\n"}, 1)
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/events" {
			logs(w, r)
			return
		}
		if r.URL.Query().Get("job") != "3" {
			t.Errorf("events query %v, want job=3", r.URL.Query())
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte(sseMessage(1)))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := NewClient(ts.URL, "t").TaskLog(ctx, 3, "a", LogOptions{Follow: true}, &out); err != nil {
		t.Fatalf("TaskLog: %v", err)
	}
	if out.String() != "one\ntwo\n" {
		t.Errorf("output %q", out.String())
	}
	var reads []url.Values
	ts.mu.Lock()
	for _, r := range ts.reqs {
		if strings.HasSuffix(r.path, "/logs") {
			reads = append(reads, r.query)
		}
	}
	ts.mu.Unlock()
	want := []url.Values{{}, {"attempt": {"2"}, "offset": {"4"}}}
	if !reflect.DeepEqual(reads, want) {
		t.Errorf("log reads %v, want %v", reads, want)
	}
}

// TestFollowTaskLogWithoutEvents: with the event stream refused, the
// fallback interval paces the reads.
func TestFollowTaskLogWithoutEvents(t *testing.T) {
	defer func(d time.Duration) { LogFollowPoll = d }(LogFollowPoll)
	LogFollowPoll = time.Millisecond
	logs := logPages([]string{"a", "", "b", "c"}, 3)
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/events" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		logs(w, r)
	})
	var out strings.Builder
	if err := NewClient(ts.URL, "t").TaskLog(context.Background(), 3, "a", LogOptions{Follow: true, Attempt: 1}, &out); err != nil {
		t.Fatalf("TaskLog: %v", err)
	}
	if out.String() != "abc" {
		t.Errorf("output %q", out.String())
	}
}

// TestFollowTaskLogOlderServer: a server that sends no done trailer is
// asked to follow the rest itself, from where the first read stopped.
func TestFollowTaskLogOlderServer(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/events" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		if r.URL.Query().Get("follow") == "true" {
			_, _ = io.WriteString(w, "rest\n")
			return
		}
		_, _ = io.WriteString(w, "start\n")
	})
	var out strings.Builder
	if err := NewClient(ts.URL, "t").TaskLog(context.Background(), 3, "a", LogOptions{Follow: true}, &out); err != nil {
		t.Fatalf("TaskLog: %v", err)
	}
	if out.String() != "start\nrest\n" {
		t.Errorf("output %q", out.String())
	}
	// The events subscription runs beside the reads: look at the log reads only.
	var lastRead recorded
	ts.mu.Lock()
	for _, r := range ts.reqs {
		if r.path != "/api/v1/events" {
			lastRead = r
		}
	}
	ts.mu.Unlock()
	if got, want := lastRead.query, (url.Values{"follow": {"true"}, "offset": {"6"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("last read %v, want %v", got, want)
	}
}
