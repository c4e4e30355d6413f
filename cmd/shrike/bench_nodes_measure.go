package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// sampleCPU waits until start+window and returns the CPU cores that cpu
// (a process's CPU seconds) grew by over each slice of the window.
func sampleCPU(cpu func() float64, start time.Time, window, slice time.Duration) []float64 {
	var out []float64
	prev, prevAt := cpu(), time.Now()
	for at := start.Add(slice); ; at = at.Add(slice) {
		end := !at.Before(start.Add(window))
		if end {
			at = start.Add(window)
		}
		time.Sleep(time.Until(at))
		now, nowAt := cpu(), time.Now()
		if d := nowAt.Sub(prevAt).Seconds(); d > 0 {
			out = append(out, math.Round(100*(now-prev)/d)/100)
		}
		prev, prevAt = now, nowAt
		if end {
			return out
		}
	}
}

// raiseNoFile raises this process's RLIMIT_NOFILE to want (the hard limit
// too, where allowed) and returns the soft limit it got. Setting it
// explicitly also makes child processes inherit it (Go otherwise gives
// them back the limit the process started with). The error says what to
// do when the limit stays below want.
func raiseNoFile(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("cannot read RLIMIT_NOFILE: %w", err)
	}
	if lim.Max < want {
		raised := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return want, nil
		}
	}
	lim.Cur = max(lim.Cur, min(want, lim.Max))
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return lim.Cur, fmt.Errorf("cannot set RLIMIT_NOFILE to %d: %w", lim.Cur, err)
	}
	if lim.Cur < want {
		return lim.Cur, fmt.Errorf("open files limited to %d (hard limit), below the %d this bench needs (nodes + %d); connections beyond it will fail: raise it (ulimit -Hn, /etc/security/limits.conf) or use fewer --nodes",
			lim.Cur, want, fdMargin)
	}
	return lim.Cur, nil
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}

// procStatusBytes reads one field of /proc/<pid>/status: a size in kB
// (VmRSS, VmHWM, …) is returned in bytes, a count (Threads) as is.
func procStatusBytes(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	return parseProcStatus(string(data), field)
}

// parseProcStatus finds "field:" in the text of a /proc status file and
// returns its value, converting kB to bytes; 0 if it is missing.
func parseProcStatus(status, field string) int64 {
	for line := range strings.SplitSeq(status, "\n") {
		rest, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		v, _ := strconv.ParseInt(f[0], 10, 64)
		if len(f) > 1 && f[1] == "kB" {
			v <<= 10
		}
		return v
	}
	return 0
}

// nodeStates counts the server's nodes by state.
func nodeStates(ctx context.Context, c *api.Client) (map[string]int, error) {
	nodes, err := c.ListNodes(ctx)
	if err != nil {
		return nil, err
	}
	states := map[string]int{}
	for _, n := range nodes {
		states[string(n.State)]++
	}
	return states, nil
}

// latencySummary condenses round-trip times.
type latencySummary struct {
	Count  int     `json:"count"`
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
	MeanMs float64 `json:"mean_ms"`
}

// summarize returns the count, nearest-rank p50 and p99, maximum and mean
// of ds, in milliseconds.
func summarize(ds []time.Duration) latencySummary {
	if len(ds) == 0 {
		return latencySummary{}
	}
	vals := make([]float64, len(ds))
	var sum float64
	for i, d := range ds {
		vals[i] = float64(d) / float64(time.Millisecond)
		sum += vals[i]
	}
	return latencySummary{
		Count:  len(ds),
		P50ms:  percentile(vals, 50),
		P99ms:  percentile(vals, 99),
		MaxMs:  slices.Max(vals),
		MeanMs: sum / float64(len(vals)),
	}
}

// latencies collects durations from many goroutines, only while on.
type latencies struct {
	mu sync.Mutex
	on bool
	ds []time.Duration
}

func newLatencies(on bool) *latencies { return &latencies{on: on} }

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	if l.on {
		l.ds = append(l.ds, d)
	}
	l.mu.Unlock()
}

func (l *latencies) set(on bool) {
	l.mu.Lock()
	l.on = on
	l.mu.Unlock()
}

func (l *latencies) summary() latencySummary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return summarize(l.ds)
}
