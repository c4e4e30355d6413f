package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// sseMessage is an event as GET /events writes it.
func sseMessage(seq uint64) string {
	return fmt.Sprintf("id: %d\ndata: {\"seq\":%d,\"time\":\"2025-01-02T03:04:05Z\",\"kind\":\"job\",\"job_id\":7,\"state\":\"RUNNING\"}\n\n", seq, seq)
}

// TestEventsResumesWithoutLossOrDuplicates serves a stream that breaks,
// repeats an event and overflows: the client reconnects with
// Last-Event-ID each time and sees every event once, in order.
func TestEventsResumesWithoutLossOrDuplicates(t *testing.T) {
	var (
		mu      sync.Mutex
		lastIDs []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/events" || r.URL.Query().Get("job") != "7" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "bad request "+r.URL.String(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		lastIDs = append(lastIDs, r.Header.Get("Last-Event-ID"))
		n := len(lastIDs)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		switch n {
		case 1: // two events, then the connection breaks
			fmt.Fprint(w, sseMessage(1)+sseMessage(2))
		case 2: // a repeat, a new one, then the client fell behind
			fmt.Fprint(w, sseMessage(2)+": ping\n\n"+sseMessage(3)+"event: overflow\nid: 3\ndata: {}\n\n")
		default: // one more, then a stream that stays open
			fmt.Fprint(w, sseMessage(4))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stop := errors.New("stop")
	var seqs []uint64
	err := NewClient(srv.URL, "tok").Events(ctx, 0, 7, func(e Event) error {
		seqs = append(seqs, e.Seq)
		if e.JobID != 7 || e.State != "RUNNING" {
			t.Errorf("event %+v", e)
		}
		if e.Seq == 4 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Events returned %v, want the callback's error", err)
	}
	if fmt.Sprint(seqs) != "[1 2 3 4]" {
		t.Errorf("saw %v, want [1 2 3 4]", seqs)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(lastIDs) != "[0 2 3]" {
		t.Errorf("Last-Event-ID sent %q, want [0 2 3]", lastIDs)
	}
}

// TestEventsReturnsAPIErrors gives up at once on an error the server
// answered.
func TestEventsReturnsAPIErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"code":"not_found","message":"job 9 not found"}`)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := NewClient(srv.URL, "tok").Events(ctx, 0, 9, func(Event) error {
		t.Error("callback called")
		return nil
	})
	if !IsCode(err, CodeNotFound) {
		t.Fatalf("Events returned %v, want not found", err)
	}
}
