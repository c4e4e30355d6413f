package server

import (
	"context"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// collect reads feed until done says so for an event, and returns what it
// read; the timeout only catches hangs.
func collect(t *testing.T, feed <-chan api.Event, done func(api.Event) bool) []api.Event {
	t.Helper()
	var got []api.Event
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e, ok := <-feed:
			if !ok {
				t.Fatalf("feed closed after %d events", len(got))
			}
			got = append(got, e)
			if done(e) {
				return got
			}
		case <-timeout:
			t.Fatalf("no end after %d events: %+v", len(got), got)
		}
	}
}

// jobOver reports whether e says job id ended.
func jobOver(id int64) func(api.Event) bool {
	return func(e api.Event) bool { return e.Kind == "job" && e.JobID == id && api.JobState(e.State).Terminal() }
}

func TestEventsReplayResumeLiveAndAccess(t *testing.T) {
	g := startTestGrid(t, 1, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := rest.Principal{Name: "alice", Role: api.RoleUser}
	bob := rest.Principal{Name: "bob", Role: api.RoleUser}
	job := api.JobSpec{Name: "ev", Tasks: []api.TaskSpec{commandTask("a", []string{"true"}), commandTask("b", []string{"true"}, "a")}}
	submit := func(p rest.Principal) int64 {
		resp, err := g.srv.SubmitJob(ctx, p, job)
		if err != nil {
			t.Fatal(err)
		}
		g.waitJob(t, resp.ID)
		return resp.ID
	}
	jobA, jobB := submit(alice), submit(bob)

	// Replay: the admin sees every stored event, Seq 1, 2, 3...
	feed, err := g.srv.Events(ctx, g.admin, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	all := collect(t, feed, jobOver(jobB))

	// Live: new events follow on the same feed.
	jobC := submit(alice)
	all = append(all, collect(t, feed, jobOver(jobC))...)
	for i, e := range all {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has Seq %d: %+v", i, e.Seq, all)
		}
	}

	// Resume after a disconnect: exactly the events after N, once each.
	n := len(all) / 2
	resumed, err := g.srv.Events(ctx, g.admin, all[n-1].Seq, 0)
	if err != nil {
		t.Fatal(err)
	}
	tail := collect(t, resumed, jobOver(jobC))
	if len(tail) != len(all)-n {
		t.Fatalf("resumed %d events, want %d", len(tail), len(all)-n)
	}
	for i, e := range tail {
		if e != all[n+i] {
			t.Fatalf("resumed event %d = %+v, want %+v", i, e, all[n+i])
		}
	}

	// A job filter keeps one job's events.
	mine, err := g.srv.Events(ctx, alice, 0, jobA)
	if err != nil {
		t.Fatal(err)
	}
	var wantA []api.Event
	for _, e := range all {
		if e.JobID == jobA {
			wantA = append(wantA, e)
		}
	}
	gotA := collect(t, mine, jobOver(jobA))
	if len(gotA) != len(wantA) {
		t.Fatalf("job %d: %d events, want %d", jobA, len(gotA), len(wantA))
	}
	for i := range gotA {
		if gotA[i] != wantA[i] {
			t.Errorf("job %d event %d = %+v, want %+v", jobA, i, gotA[i], wantA[i])
		}
	}

	// A user never sees another user's job events, by filter or not.
	if _, err := g.srv.Events(ctx, alice, 0, jobB); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("alice following bob's job: %v, want not found", err)
	}
	aliceFeed, err := g.srv.Events(ctx, alice, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	seenA := 0
	for _, e := range collect(t, aliceFeed, jobOver(jobC)) {
		if e.JobID == jobB {
			t.Fatalf("alice got bob's event %+v", e)
		}
		if e.JobID == jobA {
			seenA++
		}
	}
	if seenA != len(wantA) {
		t.Errorf("alice saw %d events of her job %d, want %d", seenA, jobA, len(wantA))
	}
}

func TestEventsFeedClosesWithContext(t *testing.T) {
	g := startTestGrid(t, 1, 1)
	ctx, cancel := context.WithCancel(context.Background())
	feed, err := g.srv.Events(ctx, g.admin, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case _, ok := <-feed:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("feed not closed after its context ended")
		}
	}
}
