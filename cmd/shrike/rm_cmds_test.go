package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

func TestRMStats(t *testing.T) {
	c := newCLI(t)
	c.threeNodes()
	var st api.RMStats
	if err := json.Unmarshal([]byte(c.mustRun("rm", "stats", "--json")), &st); err != nil {
		t.Fatalf("rm stats --json: %v", err)
	}
	if st.Nodes != 3 || st.ByState[api.NodeBusy] != 1 || st.Locked != 1 || st.Draining != 1 ||
		st.Slots != 9 || st.UsedSlots != 1 || st.BySource["default"] != 3 {
		t.Errorf("stats = %+v", st)
	}
	out := c.mustRun("rm", "stats")
	for _, want := range []string{"Nodes:", "FREE:", "Locked:", "Draining:", "1/9 used", "4/12 used", "default 3"} {
		if !strings.Contains(out, want) {
			t.Errorf("rm stats lacks %q:\n%s", want, out)
		}
	}
}

func TestRMEventsAfter(t *testing.T) {
	c := newCLI(t)
	c.threeNodes() // events 1-3
	c.vars[envToken] = c.adminTok
	c.mustRun("node", "lock", "w1", "--reason", "fan") // event 4
	out := c.mustRun("rm", "events")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 5 || !strings.HasPrefix(lines[0], "SEQ") ||
		!strings.Contains(lines[4], "locked") || !strings.Contains(lines[4], "fan") {
		t.Errorf("rm events:\n%s", out)
	}
	out = c.mustRun("rm", "events", "--after", "2")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 ||
		!strings.HasPrefix(lines[1], "3 ") || !strings.HasPrefix(lines[2], "4 ") {
		t.Errorf("rm events --after 2:\n%s", out)
	}
	var list api.RMEventList
	if err := json.Unmarshal([]byte(c.mustRun("rm", "events", "--after", "3", "--json")), &list); err != nil ||
		len(list.Events) != 1 || list.Events[0].Seq != 4 || list.Next != 4 {
		t.Errorf("rm events --json = %+v, %v", list, err)
	}
	if err := json.Unmarshal([]byte(c.mustRun("rm", "events", "--after", "9", "--json")), &list); err != nil ||
		list.Events == nil || len(list.Events) != 0 || list.Next != 9 {
		t.Errorf("no events: %+v, %v", list, err)
	}
	if code, _, _ := c.run("rm", "events", "--after", "-1"); code != exitUsage {
		t.Errorf("negative --after: exit %d, want %d", code, exitUsage)
	}
}

func TestRMEventsPages(t *testing.T) {
	c := newCLI(t)
	nodes := make([]api.Node, 250)
	for i := range nodes {
		nodes[i] = api.Node{Name: fmt.Sprintf("n%03d", i), State: api.NodeFree}
	}
	c.fake.SetNodes(nodes...)
	var list api.RMEventList
	if err := json.Unmarshal([]byte(c.mustRun("rm", "events", "--json")), &list); err != nil ||
		len(list.Events) != 250 || list.Next != 250 {
		t.Errorf("got %d events, next %d, %v; want all 250 over three pages", len(list.Events), list.Next, err)
	}
}

// syncBuffer is a bytes.Buffer a command may write while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until cond holds, for at most 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRMEventsFollow(t *testing.T) {
	for name, args := range map[string][]string{
		"table": {"rm", "events", "-f", "--after", "1"},
		"json":  {"rm", "events", "--follow", "--after", "1", "--json"},
	} {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			c.threeNodes()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out, errOut syncBuffer
			done := make(chan int)
			go func() { done <- c.runTo(ctx, &out, &errOut, args...) }()
			waitFor(t, "the events so far", func() bool { return strings.Contains(out.String(), "w3") })
			root := rest.Principal{Name: "root", Role: api.RoleAdmin}
			if _, err := c.fake.LockNode(ctx, root, "w2", "follow me"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the new event", func() bool { return strings.Contains(out.String(), "follow me") })
			cancel()
			if code := <-done; code != exitOK {
				t.Errorf("exit %d after Ctrl-C, want 0; stderr %q", code, errOut.String())
			}
			got := out.String()
			if strings.Contains(got, "w1") || strings.Count(got, "w2") != 2 {
				t.Errorf("followed output (want events 2-4):\n%s", got)
			}
			if name == "json" {
				for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
					var ev api.NodeEvent
					if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Seq < 2 {
						t.Errorf("line %q: %+v, %v", line, ev, err)
					}
				}
			}
		})
	}
}

func TestRMHistory(t *testing.T) {
	c := newCLI(t)
	at := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	var samples []api.RMSample
	for i := range 60 {
		samples = append(samples, api.RMSample{Time: at.Add(time.Duration(i) * time.Minute), Busy: i / 10, Free: 6 - i/10, Down: 1})
	}
	c.fake.SetRMSamples(samples...)
	out := c.mustRun("rm", "history")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.Contains(lines[0], "Last 1h, one sample every 1m0s; 24 of 60 shown.") {
		t.Errorf("summary: %q", lines[0])
	}
	if !strings.Contains(out, "TIME") || !strings.Contains(out, "BUSY") || len(lines) != 1+1+1+24+1+1 {
		t.Errorf("table:\n%s", out)
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "Busy: ▁") || !strings.HasSuffix(last, "(peak 5 of 7 nodes)") {
		t.Errorf("sparkline: %q", last)
	}
	var h api.RMHistory
	if err := json.Unmarshal([]byte(c.mustRun("rm", "history", "--range", "1w", "--json")), &h); err != nil ||
		h.Range != "1w" || len(h.Samples) != 60 {
		t.Errorf("rm history --json = %+v, %v", h.Range, err)
	}
	if code, _, _ := c.run("rm", "history", "--range", "2h"); code != exitUsage {
		t.Errorf("--range 2h: exit %d, want %d", code, exitUsage)
	}
	c.fake.SetRMSamples()
	if out := c.mustRun("rm", "history", "--range", "1d"); out != "No samples over the last 1d.\n" {
		t.Errorf("no samples: %q", out)
	}
}

func TestSpread(t *testing.T) {
	for _, tc := range []struct {
		n, k int
		want []int
	}{
		{0, 24, []int{}}, {1, 24, []int{0}}, {3, 24, []int{0, 1, 2}}, {10, 4, []int{0, 3, 6, 9}}, {60, 2, []int{0, 59}},
	} {
		if got := spread(tc.n, tc.k); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("spread(%d, %d) = %v, want %v", tc.n, tc.k, got, tc.want)
		}
	}
}
