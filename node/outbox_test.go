package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func result(id int64) api.TaskResult {
	return api.TaskResult{TaskRef: api.TaskRef{TaskID: id, Attempt: 1}, Outcome: api.OutcomeSucceeded, LogSize: id}
}

// journalResults returns the results in the journal of the outbox in dir,
// in file order; a line that is not a result fails the test.
func journalResults(t testing.TB, dir string) []api.TaskResult {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, journalName))
	if err != nil {
		t.Fatalf("journal: %v", err)
	}
	var rs []api.TaskResult
	for i, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		r, err := decodeResult(line)
		if err != nil || line[len(line)-1] != '\n' {
			t.Fatalf("journal line %d %q: %v", i+1, line, err)
		}
		rs = append(rs, r)
	}
	return rs
}

// taskIDs lists the task ids of rs, sorted.
func taskIDs(rs []api.TaskResult) []int64 {
	ids := make([]int64, 0, len(rs))
	for _, r := range rs {
		ids = append(ids, r.TaskID)
	}
	slices.Sort(ids)
	return ids
}

// pendingIDs lists the task ids of o's pending results, sorted.
func pendingIDs(o *outbox) []int64 { return taskIDs(o.batch(1 << 30)) }

func mustOpen(t testing.TB, dir string) *outbox {
	t.Helper()
	o, err := openOutbox(dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func mustAdd(t testing.TB, o *outbox, ids ...int64) {
	t.Helper()
	for _, id := range ids {
		if err := o.Add(result(id)); err != nil {
			t.Fatal(err)
		}
	}
}

func refsOf(ids ...int64) []api.TaskRef {
	refs := make([]api.TaskRef, 0, len(ids))
	for _, id := range ids {
		refs = append(refs, result(id).TaskRef)
	}
	return refs
}

func jsonLine(t testing.TB, r api.TaskResult) string {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(data) + "\n"
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
	if files, _ := os.ReadDir(dir); len(files) != 1 || files[0].Name() != journalName {
		t.Errorf("outbox dir holds %v, want just the journal", files)
	}
	if st, err := os.Stat(filepath.Join(dir, journalName)); err != nil || st.Size() != 0 {
		t.Errorf("journal after a full ack: %v, %v; want it empty", st, err)
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

	// A compaction cut short, as a crash could leave it.
	if err := os.WriteFile(filepath.Join(dir, journalName+".tmp"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := openOutbox(dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	// 2 and 4 were never acknowledged; 1 and 3 were, but acks do not write
	// and the journal still held them, so they are re-sent too.
	if got := pendingIDs(again); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Errorf("reloaded %v, want [1 2 3 4]", got)
	}
	if _, err := os.Stat(filepath.Join(dir, journalName+".tmp")); !os.IsNotExist(err) {
		t.Errorf("temporary journal not removed: %v", err)
	}
	if got := taskIDs(journalResults(t, dir)); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Errorf("journal rewritten at open holds %v, want [1 2 3 4]", got)
	}
	if n := again.ack(refsOf(1, 2, 3, 4)); n != 4 {
		t.Errorf("ack of the reloaded results dropped %d, want 4", n)
	}
	if again.Len() != 0 || len(journalResults(t, dir)) != 0 {
		t.Errorf("after acking everything: %d pending, journal %v", again.Len(), journalResults(t, dir))
	}
}

func TestOutboxAckedBeforeCrashResent(t *testing.T) {
	dir := t.TempDir()
	o := mustOpen(t, dir)
	mustAdd(t, o, 1, 2, 3)
	if n := o.ack(refsOf(1, 3, 99)); n != 2 {
		t.Errorf("ack dropped %d, want 2", n)
	}
	if got := pendingIDs(o); !slices.Equal(got, []int64{2}) {
		t.Errorf("pending %v, want [2]", got)
	}
	// Acks do not write: an agent that dies now sends 1 and 3 again.
	if got := pendingIDs(mustOpen(t, dir)); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("after a crash, pending %v, want [1 2 3]", got)
	}
}

func TestOutboxJournalTornLastLine(t *testing.T) {
	dir := t.TempDir()
	o := mustOpen(t, dir)
	mustAdd(t, o, 1, 2, 3)
	// The last write cut short by a crash.
	torn := jsonLine(t, result(4))
	f, err := os.OpenFile(filepath.Join(dir, journalName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(torn[:len(torn)/2]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	again := mustOpen(t, dir)
	if got := pendingIDs(again); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("pending %v, want [1 2 3]", got)
	}
	// The torn line does not swallow the next result.
	mustAdd(t, again, 5)
	if got := taskIDs(journalResults(t, dir)); !slices.Equal(got, []int64{1, 2, 3, 5}) {
		t.Errorf("journal holds %v, want [1 2 3 5]", got)
	}
	if got := pendingIDs(mustOpen(t, dir)); !slices.Equal(got, []int64{1, 2, 3, 5}) {
		t.Errorf("reloaded %v, want [1 2 3 5]", got)
	}
}

func TestOutboxJournalCorruptLines(t *testing.T) {
	dir := t.TempDir()
	first := result(2)
	later := result(2)
	later.LogSize = 42
	journal := jsonLine(t, result(1)) +
		"not json\n" +
		jsonLine(t, first) +
		`{"task_id":3,"attempt":1,"outc` + jsonLine(t, result(4)) + // a torn write, then the next
		"\n" +
		`{"task_id":0,"attempt":1}` + "\n" +
		jsonLine(t, later) +
		jsonLine(t, result(5))
	if err := os.WriteFile(filepath.Join(dir, journalName), []byte(journal), 0o600); err != nil {
		t.Fatal(err)
	}
	o := mustOpen(t, dir)
	if got := pendingIDs(o); !slices.Equal(got, []int64{1, 2, 5}) {
		t.Errorf("pending %v, want [1 2 5]", got)
	}
	for _, r := range o.batch(10) {
		if r.TaskID == 2 && r.LogSize != 42 {
			t.Errorf("task 2 has log size %d, want the later line's 42", r.LogSize)
		}
	}
	if got := taskIDs(journalResults(t, dir)); !slices.Equal(got, []int64{1, 2, 5}) {
		t.Errorf("journal rewritten at open holds %v, want [1 2 5]", got)
	}
}

func TestOutboxJournalTruncatedWhenAllAcked(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, journalName)
	o := mustOpen(t, dir)
	mustAdd(t, o, 1, 2, 3)
	o.ack(refsOf(1, 2))
	if got := len(journalResults(t, dir)); got != 3 {
		t.Errorf("journal holds %d results while one is pending, want all 3", got)
	}
	o.ack(refsOf(3))
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Fatalf("journal after a full ack: %v, %v; want it empty", st, err)
	}
	// Appends start again at the beginning, with no hole.
	mustAdd(t, o, 4)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := jsonLine(t, result(4)); string(data) != want {
		t.Errorf("journal = %q, want %q", data, want)
	}
}

func TestOutboxJournalCompaction(t *testing.T) {
	dir := t.TempDir()
	o := mustOpen(t, dir)
	o.compactAt = 1 << 30
	var ids []int64
	for id := int64(1); id <= 60; id++ {
		ids = append(ids, id)
	}
	mustAdd(t, o, ids...)
	o.ack(refsOf(ids[:10]...))
	if got := len(journalResults(t, dir)); got != 60 {
		t.Errorf("journal below the threshold holds %d results, want all 60", got)
	}

	before := o.size
	o.compactAt = before / 2
	o.ack(refsOf(ids[10:53]...))
	want := ids[53:]
	if got := pendingIDs(o); !slices.Equal(got, want) {
		t.Fatalf("pending %v, want %v", got, want)
	}
	if got := taskIDs(journalResults(t, dir)); !slices.Equal(got, want) {
		t.Errorf("compacted journal holds %v, want %v", got, want)
	}
	if st, err := os.Stat(filepath.Join(dir, journalName)); err != nil || st.Size() >= before || st.Size() != o.size {
		t.Errorf("journal after compaction: %v, %v; want %d bytes, less than %d", st, err, o.size, before)
	}
	if _, err := os.Stat(filepath.Join(dir, journalName+".tmp")); !os.IsNotExist(err) {
		t.Errorf("temporary journal left: %v", err)
	}

	// The reopened journal takes appends.
	mustAdd(t, o, 61)
	want = append(slices.Clone(want), 61)
	if got := taskIDs(journalResults(t, dir)); !slices.Equal(got, want) {
		t.Errorf("journal holds %v, want %v", got, want)
	}
	if got := pendingIDs(mustOpen(t, dir)); !slices.Equal(got, want) {
		t.Errorf("reloaded %v, want %v", got, want)
	}
}

func TestOutboxLegacyFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("1-1.json", jsonLine(t, result(1)))
	write("2-1.json", jsonLine(t, result(2)))
	write("8-1.json", "not json")
	write("9-1.json.tmp", "{")
	write(journalName, jsonLine(t, result(3)))

	o := mustOpen(t, dir)
	if got := pendingIDs(o); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("pending %v, want [1 2 3]", got)
	}
	if got := taskIDs(journalResults(t, dir)); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("journal holds %v, want [1 2 3]", got)
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
	}
	if want := []string{"8-1.json.corrupt", journalName}; !slices.Equal(names, want) {
		t.Errorf("outbox dir holds %v, want %v", names, want)
	}
}

func TestOutboxWriteFailureKeepsResult(t *testing.T) {
	dir := t.TempDir()
	o := mustOpen(t, dir)
	full, err := os.OpenFile("/dev/full", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	o.jmu.Lock()
	_ = o.f.Close()
	o.f = full
	o.jmu.Unlock()
	err = o.Add(result(1))
	if err == nil || !strings.Contains(err.Error(), "outbox") {
		t.Errorf("Add on a full disk = %v, want an outbox error", err)
	}
	if !o.Has(result(1).Key()) {
		t.Error("result not kept in memory after a failed write")
	}
	s := &recordingSender{}
	if err := o.Flush(context.Background(), s.send); err != nil || o.Len() != 0 {
		t.Errorf("Flush = %v, pending %d; want the result sent", err, o.Len())
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
	if got := journalResults(t, filepath.Join(cfg.WorkDir, "outbox")); len(got) != 1 || got[0].TaskID != 1 {
		t.Fatalf("outbox journal holds %v after the stop, want task 1's result", got)
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

// BenchmarkOutboxAdd measures the on-disk cost of one result: Add and its
// ack. "each" acks every result at once, so the outbox empties after every
// ack; "window" keeps 64 results pending, acking the oldest after each Add.
func BenchmarkOutboxAdd(b *testing.B) {
	for _, bc := range []struct {
		name   string
		window int64
	}{{"each", 0}, {"window", 64}} {
		b.Run(bc.name, func(b *testing.B) {
			o, err := openOutbox(b.TempDir(), quietLog())
			if err != nil {
				b.Fatal(err)
			}
			var id int64
			for b.Loop() {
				id++
				if err := o.Add(result(id)); err != nil {
					b.Fatal(err)
				}
				if old := id - bc.window; old > 0 {
					o.ack([]api.TaskRef{result(old).TaskRef})
				}
			}
		})
	}
}
