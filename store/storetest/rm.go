package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/store"
)

// testDeleteNodes: deletions apply after the upserts of the same Apply, and
// a node upserted again in a later mutation of the same Apply is back.
func testDeleteNodes(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	apply(t, s, store.Mutation{Nodes: []store.NodeRecord{node("a", "FREE"), node("b", "DOWN"), node("c", "FREE")}})
	apply(t, s,
		store.Mutation{DeleteNodes: []string{"b", "c", "missing"}},
		store.Mutation{Nodes: []store.NodeRecord{node("c", "BUSY")}},
	)
	got, err := s.ListNodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "nodes after delete", normNodes(got), []store.NodeRecord{wantNode(node("a", "FREE")), wantNode(node("c", "BUSY"))})
	apply(t, s, store.Mutation{Nodes: []store.NodeRecord{node("d", "FREE")}, DeleteNodes: []string{"d"}})
	got, _ = s.ListNodes(ctx)
	if len(got) != 2 {
		t.Errorf("a node upserted and deleted in one mutation is present: %+v", got)
	}
}

func event(node, what string, sec int) store.NodeEventRecord {
	return store.NodeEventRecord{Time: at(sec), Node: node, State: "FREE", Locked: what == "locked",
		Draining: what == "draining", Event: what, By: "admin", Info: "because " + what}
}

// testNodeEvents: events get increasing Seq; After, Node, Limit and Newest
// select as documented; every field round-trips.
func testNodeEvents(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	var all []store.NodeEventRecord
	for i := range 12 {
		n := fmt.Sprintf("n%d", i%3)
		e := event(n, []string{"registered", "locked", "draining"}[i%3], i)
		all = append(all, e)
		apply(t, s, store.Mutation{NodeEvents: []store.NodeEventRecord{e}})
	}
	got, err := s.ListNodeEvents(ctx, store.NodeEventQuery{})
	if err != nil || len(got) != 12 {
		t.Fatalf("all events: %d, %v", len(got), err)
	}
	for i, e := range got {
		want := all[i]
		want.Seq, want.Time = e.Seq, utc(want.Time)
		check(t, fmt.Sprintf("event %d", i), e, want)
		if i > 0 && e.Seq <= got[i-1].Seq {
			t.Errorf("Seq not increasing: %d after %d", e.Seq, got[i-1].Seq)
		}
	}
	after, _ := s.ListNodeEvents(ctx, store.NodeEventQuery{After: got[9].Seq})
	if len(after) != 2 || after[0].Seq != got[10].Seq {
		t.Errorf("After: %+v", after)
	}
	one, _ := s.ListNodeEvents(ctx, store.NodeEventQuery{Node: "n1", Limit: 2})
	if len(one) != 2 || one[0].Node != "n1" || one[1].Node != "n1" || one[0].Seq != got[1].Seq {
		t.Errorf("Node n1, limit 2: %+v", one)
	}
	newest, _ := s.ListNodeEvents(ctx, store.NodeEventQuery{Node: "n1", Limit: 2, Newest: true})
	if len(newest) != 2 || newest[0].Seq != got[7].Seq || newest[1].Seq != got[10].Seq {
		t.Errorf("Newest n1, limit 2: %+v", newest)
	}
}

// testRMSamples: samples round-trip, a sample at the same time replaces
// the earlier one, and samples older than SampleRetention before the newest
// are deleted.
func testRMSamples(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	base := at(0)
	old := store.RMSampleRecord{Time: base, Free: 9, Busy: 9, Down: 9}
	apply(t, s, store.Mutation{Samples: []store.RMSampleRecord{old}})
	later := base.Add(store.SampleRetention + time.Hour)
	apply(t, s, store.Mutation{Samples: []store.RMSampleRecord{
		{Time: later, Free: 1, Busy: 2, Down: 3},
		{Time: later.Add(time.Minute), Free: 4, Busy: 5, Down: 6},
	}})
	apply(t, s, store.Mutation{Samples: []store.RMSampleRecord{{Time: later.Add(time.Minute), Free: 7, Busy: 8, Down: 0}}})
	got, err := s.ListRMSamples(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "samples", got, []store.RMSampleRecord{
		{Time: utc(later), Free: 1, Busy: 2, Down: 3},
		{Time: utc(later.Add(time.Minute)), Free: 7, Busy: 8, Down: 0},
	})
	since, _ := s.ListRMSamples(ctx, later.Add(time.Second))
	if len(since) != 1 {
		t.Errorf("since: %+v", since)
	}
}
