package api

import (
	"context"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"
)

// scriptedJob answers GET /jobs/4 with states, one per call, then the last.
func scriptedJob(states ...JobState) http.HandlerFunc {
	var mu sync.Mutex
	return func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		st := states[0]
		if len(states) > 1 {
			states = states[1:]
		}
		mu.Unlock()
		answer(w, 200, Job{ID: 4, State: st})
	}
}

func TestWaitJobEventsWakesOnEvents(t *testing.T) {
	job := scriptedJob(JobRunning, JobFinished)
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/events" {
			job(w, r)
			return
		}
		if r.URL.Query().Get("job") != "4" {
			t.Errorf("events query %v, want job=4", r.URL.Query())
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte(sseMessage(1)))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	// Polling is slowed to an hour: only the event can wake the wait.
	opts := WaitOptions{Poll: time.Hour, Resync: time.Hour}
	var seen []JobState
	got, err := NewClient(ts.URL, "t").WaitJobEvents(context.Background(), 4, opts,
		func(j Job) { seen = append(seen, j.State) })
	if err != nil || got.State != JobFinished {
		t.Fatalf("WaitJobEvents = %s, %v; want FINISHED", got.State, err)
	}
	if want := []JobState{JobRunning, JobFinished}; !reflect.DeepEqual(seen, want) {
		t.Errorf("progress saw %v, want %v", seen, want)
	}
}

func TestWaitJobEventsPollsWhenRefused(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusServiceUnavailable} {
		job := scriptedJob(JobPending, JobRunning, JobRunning, JobFailed)
		ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v1/events" {
				http.Error(w, http.StatusText(status), status)
				return
			}
			job(w, r)
		})
		opts := WaitOptions{Poll: time.Millisecond, Resync: time.Hour}
		got, err := NewClient(ts.URL, "t").WaitJobEvents(context.Background(), 4, opts, nil)
		if err != nil || got.State != JobFailed {
			t.Errorf("events answer %d: WaitJobEvents = %s, %v; want FAILED", status, got.State, err)
		}
	}
}
