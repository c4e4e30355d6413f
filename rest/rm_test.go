package rest_test

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestRMStats(t *testing.T) {
	h := newHarness(t, rest.Options{})
	empty := decode[api.RMStats](t, h.do("GET", "/api/v1/rm", h.alice, "", ""), http.StatusOK)
	if empty.Nodes != 0 || empty.ByState == nil || empty.BySource == nil {
		t.Errorf("empty grid: %+v", empty)
	}
	threeNodes(h)
	st := decode[api.RMStats](t, h.do("GET", "/api/v1/rm", h.alice, "", ""), http.StatusOK)
	want := api.RMStats{
		Nodes:    3,
		ByState:  map[api.NodeState]int{api.NodeFree: 1, api.NodeBusy: 1, api.NodeDown: 1},
		Locked:   1,
		Draining: 1, Slots: 9, UsedSlots: 1, CPUs: 12, UsedCPU: 4, // w3 is DOWN: no capacity
		Memory: 24 << 30, UsedMem: 1 << 30,
		BySource: map[string]int{"lab": 2, "cloud": 1},
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("stats = %+v\nwant    %+v", st, want)
	}
}

func TestRMEvents(t *testing.T) {
	h := newHarness(t, rest.Options{})
	threeNodes(h) // events 1-3: registered
	decode[api.Node](t, h.do("POST", "/api/v1/nodes/w1/lock", h.admin, "", ""), http.StatusOK)
	all := decode[api.RMEventList](t, h.do("GET", "/api/v1/rm/events", h.alice, "", ""), http.StatusOK)
	if len(all.Events) != 4 || all.Next != 4 || all.Events[3].Event != "locked" || all.Events[3].By != "root" {
		t.Fatalf("events = %+v", all)
	}
	page := decode[api.RMEventList](t, h.do("GET", "/api/v1/rm/events?after=1&limit=2", h.alice, "", ""), http.StatusOK)
	if len(page.Events) != 2 || page.Events[0].Seq != 2 || page.Next != 3 {
		t.Errorf("after=1&limit=2: %+v", page)
	}
	none := decode[api.RMEventList](t, h.do("GET", "/api/v1/rm/events?after=4", h.alice, "", ""), http.StatusOK)
	if none.Events == nil || len(none.Events) != 0 || none.Next != 4 {
		t.Errorf("after=4: %+v, want no events (not null) and next 4", none)
	}
}

func TestRMEventsBadParameters(t *testing.T) {
	h := newHarness(t, rest.Options{})
	tests := map[string]struct {
		query  string
		fields []string
	}{
		"negative after": {"?after=-1", []string{"after"}},
		"after":          {"?after=x", []string{"after"}},
		"zero limit":     {"?limit=0", []string{"limit"}},
		"huge limit":     {"?limit=1001", []string{"limit"}},
		"both":           {"?after=y&limit=z", []string{"after", "limit"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := wantError(t, h.do("GET", "/api/v1/rm/events"+tc.query, h.alice, "", ""), http.StatusBadRequest, api.CodeInvalid)
			if got := fieldsOf(e); !reflect.DeepEqual(got, tc.fields) {
				t.Errorf("fields = %v, want %v", got, tc.fields)
			}
		})
	}
	decode[api.RMEventList](t, h.do("GET", "/api/v1/rm/events?limit=1000", h.alice, "", ""), http.StatusOK)
}

func TestRMHistory(t *testing.T) {
	h := newHarness(t, rest.Options{})
	at := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	h.fake.SetRMSamples(api.RMSample{Time: at, Free: 2, Busy: 1}, api.RMSample{Time: at.Add(time.Minute), Busy: 3})
	for query, want := range map[string]string{"": "1h", "?range=": "1h", "?range=1d": "1d", "?range=1w": "1w"} {
		got := decode[api.RMHistory](t, h.do("GET", "/api/v1/rm/history"+query, h.alice, "", ""), http.StatusOK)
		if got.Range != want || len(got.Samples) != 2 || got.Samples[1].Busy != 3 || got.Step <= 0 {
			t.Errorf("%q: history = %+v, want range %s", query, got, want)
		}
	}
	for _, bad := range []string{"2h", "1H", "week"} {
		e := wantError(t, h.do("GET", "/api/v1/rm/history?range="+bad, h.alice, "", ""), http.StatusBadRequest, api.CodeInvalid)
		if got := fieldsOf(e); !reflect.DeepEqual(got, []string{"range"}) {
			t.Errorf("range=%s: fields = %v, want [range]", bad, got)
		}
	}
}

func TestRMBackendErrors(t *testing.T) {
	h := newHarness(t, rest.Options{})
	h.fake.FailWith(api.Errorf(api.CodeUnavailable, "store is read-only"))
	for _, path := range []string{"/api/v1/rm", "/api/v1/rm/events", "/api/v1/rm/history", "/api/v1/nodes/w1"} {
		t.Run(path, func(t *testing.T) {
			wantError(t, h.do("GET", path, h.alice, "", ""), http.StatusServiceUnavailable, api.CodeUnavailable)
		})
	}
}
