package main

import (
	"encoding/json"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
)

func TestSummarize(t *testing.T) {
	if got := summarize(nil); got != (latencySummary{}) {
		t.Errorf("summarize(nil) = %+v, want zero", got)
	}
	// 1..100 ms in random order.
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(i+1) * time.Millisecond
	}
	rand.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
	want := latencySummary{Count: 100, P50ms: 50, P99ms: 99, MaxMs: 100, MeanMs: 50.5}
	if got := summarize(ds); got != want {
		t.Errorf("summarize(1..100 ms) = %+v, want %+v", got, want)
	}
	if got := summarize([]time.Duration{1500 * time.Microsecond}); got != (latencySummary{Count: 1, P50ms: 1.5, P99ms: 1.5, MaxMs: 1.5, MeanMs: 1.5}) {
		t.Errorf("summarize(1.5 ms) = %+v", got)
	}
}

func TestLatenciesOnlyWhileOn(t *testing.T) {
	l := newLatencies(false)
	l.add(time.Second)
	l.set(true)
	l.add(2 * time.Millisecond)
	l.set(false)
	l.add(time.Second)
	if got := l.summary(); got.Count != 1 || got.MaxMs != 2 {
		t.Errorf("summary = %+v, want one sample of 2 ms", got)
	}
}

func TestParseProcStatus(t *testing.T) {
	status := "Name:\tshrike\nVmPeak:\t 2000 kB\nVmHWM:\t  150000 kB\nVmRSS:\t  120000 kB\nThreads:\t12\n"
	for field, want := range map[string]int64{"VmHWM": 150000 << 10, "VmRSS": 120000 << 10, "Threads": 12, "VmSwap": 0, "Vm": 0} {
		if got := parseProcStatus(status, field); got != want {
			t.Errorf("%s = %d, want %d", field, got, want)
		}
	}
}

func TestNextTick(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	iv := 5 * time.Second
	for _, c := range []struct {
		now  time.Duration // after t0
		want time.Duration
	}{
		{1 * time.Second, 5 * time.Second},  // on time
		{5 * time.Second, 10 * time.Second}, // exactly at the next tick: skip it
		{12 * time.Second, 15 * time.Second},
		{15 * time.Second, 20 * time.Second},
	} {
		if got := nextTick(t0, iv, t0.Add(c.now)).Sub(t0); got != c.want {
			t.Errorf("nextTick at +%v = +%v, want +%v", c.now, got, c.want)
		}
	}
}

func TestNodeNames(t *testing.T) {
	if got := nodeName("sim", 42); got != "sim-00042" {
		t.Errorf("nodeName = %q", got)
	}
}

func TestSampleCPU(t *testing.T) {
	var calls int
	cpu := func() float64 { calls++; return float64(calls) * 0.01 } // 0.01 s per call
	got := sampleCPU(cpu, time.Now(), 50*time.Millisecond, 20*time.Millisecond)
	if len(got) != 3 { // 20 + 20 + 10 ms
		t.Fatalf("slices = %v, want 3", got)
	}
	for _, c := range got {
		if c <= 0 {
			t.Errorf("slices = %v, want positive", got)
		}
	}
}

// TestSimNodeProtocol runs one simulated node against a fake server on an
// embedded NATS: it registers, registers again when a heartbeat says so,
// accepts a start, reports the attempt as succeeded until it is
// acknowledged, and then no longer lists it in its heartbeats.
func TestSimNodeProtocol(t *testing.T) {
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats server not ready")
	}
	defer ns.Shutdown()
	srv, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	var mu sync.Mutex
	var registers, heartbeats, reports int
	var lastRunning []api.TaskRef
	var result api.TaskResult
	reply := func(m *nats.Msg, v any) {
		data, _ := json.Marshal(v)
		_ = m.Respond(data)
	}
	subs := map[string]nats.MsgHandler{
		api.SubjectRegister("*"): func(m *nats.Msg) {
			mu.Lock()
			registers++
			mu.Unlock()
			reply(m, api.RegisterReply{NodeID: "t-00001"})
		},
		api.SubjectHeartbeat("*"): func(m *nats.Msg) {
			var hb api.Heartbeat
			_ = json.Unmarshal(m.Data, &hb)
			mu.Lock()
			heartbeats++
			first := heartbeats == 1
			lastRunning = hb.Running
			mu.Unlock()
			reply(m, api.HeartbeatReply{Reregister: first})
		},
		api.SubjectReport("*"): func(m *nats.Msg) {
			var b api.ReportBatch
			_ = json.Unmarshal(m.Data, &b)
			mu.Lock()
			reports++
			first := reports == 1
			if len(b.Results) == 1 {
				result = b.Results[0]
			}
			mu.Unlock()
			if first {
				reply(m, api.ReportAck{Error: api.Errorf(api.CodeUnavailable, "not now")})
				return
			}
			reply(m, api.ReportAck{Acked: []api.TaskRef{b.Results[0].TaskRef}})
		},
	}
	for subj, h := range subs {
		if _, err := srv.Subscribe(subj, h); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Flush(); err != nil {
		t.Fatal(err)
	}

	o := benchNodesOptions{nodes: 1, concurrency: 1, interval: 30 * time.Millisecond, taskTime: 10 * time.Millisecond, prefix: "t"}
	f := newSimFleet(o, ns.ClientURL(), "token")
	defer f.close()
	if err := f.connectAll(func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			ok := cond()
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("re-registration", func() bool { return registers >= 2 })

	ref := api.TaskRef{TaskID: 7, Attempt: 1}
	start, _ := json.Marshal(api.Command{Start: &api.StartRequest{Tasks: []api.StartTask{{TaskRef: ref, Command: []string{"/bin/true"}}}}})
	msg, err := srv.Request(api.SubjectCommand("t-00001"), start, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var cr api.CommandReply
	if err := json.Unmarshal(msg.Data, &cr); err != nil || len(cr.Accepted) != 1 || cr.Accepted[0] != ref {
		t.Fatalf("start reply = %s (%v)", msg.Data, err)
	}
	waitFor("the acknowledged report", func() bool { return reports >= 2 })
	mu.Lock()
	if result.TaskRef != ref || result.Outcome != api.OutcomeSucceeded || result.FinishedAt.Before(result.StartedAt) {
		t.Errorf("result = %+v", result)
	}
	hb := heartbeats
	mu.Unlock()
	waitFor("a heartbeat after the ack", func() bool { return heartbeats >= hb+2 && len(lastRunning) == 0 })
	if got := f.acked.Load(); got != 1 {
		t.Errorf("acked = %d, want 1", got)
	}
	if got := f.reportFailures.Load(); got != 1 {
		t.Errorf("failed reports = %d, want 1", got)
	}
}
