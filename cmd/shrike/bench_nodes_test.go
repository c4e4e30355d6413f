package main

import (
	"math/rand/v2"
	"testing"
	"time"
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
