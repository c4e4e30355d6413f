package node

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func result(id int64) api.TaskResult {
	return api.TaskResult{TaskRef: api.TaskRef{TaskID: id, Attempt: 1}, Outcome: api.OutcomeSucceeded, LogSize: id}
}

// recordingSender is a sendFunc that records batches and acks what
// ackable allows.
type recordingSender struct {
	mu      sync.Mutex
	batches [][]api.TaskResult
	ackable func(api.TaskResult) bool
	err     error
}

func (s *recordingSender) send(_ context.Context, b []api.TaskResult) (api.ReportAck, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, b)
	if s.err != nil {
		return api.ReportAck{}, s.err
	}
	var ack api.ReportAck
	for _, r := range b {
		if s.ackable == nil || s.ackable(r) {
			ack.Acked = append(ack.Acked, r.TaskRef)
		}
	}
	return ack, nil
}

func TestOutboxBatchesAndAcks(t *testing.T) {
	dir := t.TempDir()
	o, err := openOutbox(dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	o.batchSize = 3
	for id := int64(7); id >= 1; id-- {
		if err := o.Add(result(id)); err != nil {
			t.Fatal(err)
		}
	}
	s := &recordingSender{}
	if err := o.Flush(context.Background(), s.send); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	var sizes []int
	for _, b := range s.batches {
		sizes = append(sizes, len(b))
	}
	if !slices.Equal(sizes, []int{3, 3, 1}) {
		t.Errorf("batch sizes %v, want [3 3 1]", sizes)
	}
	if s.batches[0][0].TaskID != 1 {
		t.Errorf("first result sent is task %d, want the oldest (1)", s.batches[0][0].TaskID)
	}
	if o.Len() != 0 {
		t.Errorf("%d results pending after a full ack", o.Len())
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("%d files left after a full ack", len(files))
	}
}

func TestOutboxKeepsUnackedAndReloads(t *testing.T) {
	dir := t.TempDir()
	o, openErr := openOutbox(dir, quietLog())
	if openErr != nil {
		t.Fatal(openErr)
	}
	for id := int64(1); id <= 4; id++ {
		if err := o.Add(result(id)); err != nil {
			t.Fatal(err)
		}
	}
	down := &recordingSender{err: errors.New("no responders")}
	if err := o.Flush(context.Background(), down.send); err == nil {
		t.Error("Flush to a server that is down: want an error")
	}
	odd := &recordingSender{ackable: func(r api.TaskResult) bool { return r.TaskID%2 == 1 }}
	if err := o.Flush(context.Background(), odd.send); err == nil {
		t.Error("Flush with a partial ack: want an error saying the rest was not acknowledged")
	}
	if o.Len() != 2 || !o.Has(api.TaskKey{TaskID: 2, Attempt: 1}) {
		t.Errorf("pending = %v, want tasks 2 and 4", o.Refs())
	}

	// A write cut short and a corrupt file, as a crash could leave them.
	if err := os.WriteFile(filepath.Join(dir, "9-1.json.tmp"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "8-1.json"), []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := openOutbox(dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if again.Len() != 2 || !again.Has(api.TaskKey{TaskID: 4, Attempt: 1}) {
		t.Errorf("reloaded = %v, want tasks 2 and 4", again.Refs())
	}
	if _, err := os.Stat(filepath.Join(dir, "9-1.json.tmp")); !os.IsNotExist(err) {
		t.Errorf("temporary file not removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "8-1.json.corrupt")); err != nil {
		t.Errorf("corrupt file not set aside: %v", err)
	}
}

func TestOutboxRunRetries(t *testing.T) {
	o, err := openOutbox(t.TempDir(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	up := false
	s := &recordingSender{ackable: func(api.TaskResult) bool { mu.Lock(); defer mu.Unlock(); return up }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { o.Run(ctx, s.send, 20*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	if err := o.Add(result(1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a few retries", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.batches) >= 3 })
	if o.Len() != 1 {
		t.Fatalf("pending %d, want the unacknowledged result kept", o.Len())
	}
	mu.Lock()
	up = true
	mu.Unlock()
	waitFor(t, "result acknowledged", func() bool { return o.Len() == 0 })
}

func TestResultsWaitForAck(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	ra := startAgent(t, testConfig(t, s.ClientURL(), "held"))
	waitRegistered(t, fs, 1)

	fs.setAck(false)
	tk := task(1, "echo done")
	fs.start(t, "held", tk)
	waitFor(t, "two report attempts", func() bool { return fs.reportAttempts() >= 2 })
	// Ended, yet still reported as held until acknowledged.
	waitFor(t, "heartbeat holding the result", func() bool {
		hbs := fs.heartbeatList()
		last := hbs[len(hbs)-1]
		return len(last.Running) == 1 && last.Running[0].TaskID == 1
	})
	if got := ra.Running(); len(got) != 1 {
		t.Errorf("Running() = %v, want the unacknowledged attempt", got)
	}

	fs.setAck(true)
	res := fs.waitResult(t, tk.Key())
	if res.Outcome != api.OutcomeSucceeded || res.LogSize != int64(len("done\n")) {
		t.Errorf("result = %+v", res)
	}
	waitFor(t, "outbox empty", func() bool { return len(ra.Running()) == 0 })
}

func TestResultsSurviveAgentRestart(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "restart")
	first := startAgent(t, cfg)
	waitRegistered(t, fs, 1)

	fs.setAck(false)
	tk := task(1, "echo before restart")
	fs.start(t, "restart", tk)
	waitFor(t, "a report attempt", func() bool { return fs.reportAttempts() >= 1 })
	if err := first.stop(t); err != nil {
		t.Fatalf("first agent: %v", err)
	}
	if files, _ := os.ReadDir(filepath.Join(cfg.WorkDir, "outbox")); len(files) != 1 {
		t.Fatalf("outbox holds %d files after the stop, want 1", len(files))
	}

	second := startAgent(t, cfg)
	waitRegistered(t, fs, 2)
	reg := fs.registrations()[1]
	if len(reg.Running) != 1 || reg.Running[0].TaskID != 1 {
		t.Errorf("registration after restart lists %v, want the unacknowledged attempt", reg.Running)
	}
	if reg.Instance == fs.registrations()[0].Instance {
		t.Errorf("restarted agent kept instance %s", reg.Instance)
	}
	fs.setAck(true)
	res := fs.waitResult(t, tk.Key())
	if res.Outcome != api.OutcomeSucceeded {
		t.Errorf("result = %+v", res)
	}
	waitFor(t, "outbox empty", func() bool { return len(second.Running()) == 0 })
}
