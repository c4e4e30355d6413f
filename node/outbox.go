package node

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// maxReportBatch is the most results sent in one ReportBatch.
const maxReportBatch = 1000

// maxReportResults bounds the task results (their JSON) in one
// ReportBatch, so that a batch stays well within a NATS message (8 MiB on
// the server); a batch holds at least one result, and results are at most
// 4 MiB (the server's result_limit).
const maxReportResults = 4 << 20

// journalName is the outbox journal's file name in the outbox directory.
const journalName = "results.journal"

// defaultCompactAt is the journal size past which it is compacted when an
// ack leaves results pending.
const defaultCompactAt = 4 << 20

// sendFunc delivers one batch of results and returns the server's ack.
type sendFunc func(ctx context.Context, batch []api.TaskResult) (api.ReportAck, error)

// outbox keeps task results on disk until the server acknowledges them.
//
// The results live in one append-only journal, <dir>/results.journal: Add
// appends the result's JSON and a newline in a single write. Acks only
// drop results from memory; the journal is truncated to zero when nothing
// is left pending, and compacted (the pending results written to
// results.journal.tmp, renamed over it) when an ack leaves results pending
// and the journal has grown past compactAt and twice its size after its
// last rewrite. At open the journal is read back: every well-formed line
// is pending again (a later line for the same attempt wins), torn or
// corrupt lines are skipped with a warning. The journal is then rewritten
// with just those results.
//
// Nothing is fsynced: a result survives an agent crash or restart and a
// server outage, but not a crash of the node's host. That is deliberate: a
// host crash loses the running tasks too, the server declares the node lost
// and retries its attempts elsewhere, and an fsync per result would cap the
// node's throughput at the disk's flush rate. A crash can also leave in the
// journal results that were already acknowledged (acks do not write); they
// are sent again after the restart, which is harmless: the server ignores
// repeats of an attempt it has already recorded.
//
// Result files <dir>/<taskid>-<attempt>.json left by agents before the
// journal are loaded at open too, and removed once the journal holds them.
//
// Locks: jmu serializes the journal's writes, truncation and compaction,
// and every change to pending (Add and ack), so that the journal always
// holds every pending result whose write succeeded. mu guards pending
// itself; it is taken under jmu, only briefly, so that Has, Len, Refs and
// batch never wait for the disk. No network call happens under either.
type outbox struct {
	dir       string
	path      string // the journal
	log       *slog.Logger
	batchSize int           // results per ReportBatch
	compactAt int64         // journal size below which it is never compacted
	wake      chan struct{} // size 1: coalesces flush requests

	jmu       sync.Mutex
	f         *os.File // the journal, O_APPEND; nil if it could not be reopened
	size      int64    // bytes in the journal
	base      int64    // journal size after its last rewrite (compaction backoff)
	needBreak bool     // the journal may end in a partial line: start the next with "\n"

	mu      sync.Mutex // taken under jmu when both are held
	pending map[api.TaskKey]api.TaskResult
}

// openOutbox creates dir if needed and loads the results left there by an
// earlier run, so that they are sent again.
func openOutbox(dir string, log *slog.Logger) (*outbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	o := &outbox{
		dir:       dir,
		path:      filepath.Join(dir, journalName),
		log:       log,
		batchSize: maxReportBatch,
		compactAt: defaultCompactAt,
		wake:      make(chan struct{}, 1),
		pending:   make(map[api.TaskKey]api.TaskResult),
	}
	legacy, err := o.loadLegacy()
	if err != nil {
		return nil, err
	}
	endsClean, err := o.loadJournal()
	if err != nil {
		return nil, err
	}
	// Rewrite the journal with just the loaded results: this drops the
	// acknowledged, torn and corrupt lines and takes in the legacy files.
	if err := o.rewrite(o.sorted()); err != nil {
		log.Warn("outbox: cannot rewrite the journal; appending to it as it is", "file", o.path, "err", err)
		f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
		st, err := f.Stat()
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("outbox: %w", err)
		}
		o.f, o.size, o.base = f, st.Size(), st.Size()
		o.needBreak = !endsClean
		legacy = nil // they stay until a journal holds them
	}
	for _, path := range legacy {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			log.Warn("outbox: cannot remove a legacy result file", "file", path, "err", err)
		}
	}
	if len(o.pending) > 0 {
		log.Info("outbox: results from an earlier run will be re-sent", "count", len(o.pending))
	}
	return o, nil
}

// loadLegacy loads the result files of the format before the journal
// (<taskid>-<attempt>.json) and removes the temporary files of both
// formats. It returns the result files it loaded.
func (o *outbox) loadLegacy() ([]string, error) {
	entries, err := os.ReadDir(o.dir)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	var loaded []string
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(o.dir, name)
		switch {
		case strings.HasSuffix(name, ".tmp"):
			_ = os.Remove(path) // a write or compaction cut short; the journal is intact
		case strings.HasSuffix(name, ".json"):
			r, err := readResult(path)
			if err != nil {
				o.log.Error("outbox: unreadable result set aside", "file", path, "err", err)
				_ = os.Rename(path, path+".corrupt")
				continue
			}
			o.pending[r.Key()] = r
			loaded = append(loaded, path)
		}
	}
	return loaded, nil
}

// loadJournal loads the results in the journal into pending, skipping torn
// and corrupt lines. endsClean is false if the journal's last line has no
// newline.
func (o *outbox) loadJournal() (endsClean bool, err error) {
	f, err := os.Open(o.path)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("outbox: %w", err)
	}
	defer f.Close()
	rd := bufio.NewReaderSize(f, 64<<10)
	var offset int64
	for lineNo := 1; ; lineNo++ {
		line, err := rd.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return false, fmt.Errorf("outbox: reading %s: %w", o.path, err)
		}
		if len(line) == 0 { // io.EOF after a newline or on an empty journal
			return true, nil
		}
		complete := err == nil
		if data := bytes.TrimSpace(line); len(data) > 0 {
			// A torn line is a prefix of an object, never valid JSON.
			if r, derr := decodeResult(data); derr != nil {
				o.log.Warn("outbox: skipping a torn or corrupt journal line",
					"file", o.path, "line", lineNo, "offset", offset, "complete", complete, "err", derr)
			} else {
				o.pending[r.Key()] = r
			}
		}
		if !complete {
			return false, nil
		}
		offset += int64(len(line))
	}
}

func readResult(path string) (api.TaskResult, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return api.TaskResult{}, err
	}
	return decodeResult(data)
}

func decodeResult(data []byte) (api.TaskResult, error) {
	var r api.TaskResult
	if err := json.Unmarshal(data, &r); err != nil {
		return r, err
	}
	if r.TaskID == 0 {
		return r, errors.New("no task id")
	}
	return r, nil
}

// sorted returns the pending results, oldest attempt first.
func (o *outbox) sorted() []api.TaskResult {
	o.mu.Lock()
	all := make([]api.TaskResult, 0, len(o.pending))
	for _, r := range o.pending {
		all = append(all, r)
	}
	o.mu.Unlock()
	slices.SortFunc(all, func(a, b api.TaskResult) int {
		return cmp.Or(cmp.Compare(a.TaskID, b.TaskID), cmp.Compare(a.Attempt, b.Attempt))
	})
	return all
}

// Add stores r on disk and schedules a flush. If r cannot be written (disk
// full), it is still kept in memory and sent while this agent runs; the
// error says that it would not survive a restart.
func (o *outbox) Add(r api.TaskResult) error {
	line, err := json.Marshal(r)
	if err == nil {
		line = append(line, '\n')
	}
	o.jmu.Lock()
	if err == nil {
		err = o.appendLine(line)
	}
	o.mu.Lock()
	o.pending[r.Key()] = r
	o.mu.Unlock()
	o.jmu.Unlock()
	o.kick()
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// appendLine writes line at the end of the journal in one write. A write
// that fails part way is cut off again, or, if that fails too, the next
// line starts on a line of its own. o.jmu must be held.
func (o *outbox) appendLine(line []byte) error {
	if o.f == nil {
		f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			_ = f.Close()
			return err
		}
		o.f, o.size, o.base, o.needBreak = f, st.Size(), st.Size(), st.Size() > 0
	}
	if o.needBreak {
		line = append([]byte{'\n'}, line...)
	}
	n, err := o.f.Write(line)
	if err != nil {
		if n > 0 {
			if terr := o.f.Truncate(o.size); terr != nil {
				o.size += int64(n)
				o.needBreak = true
			}
		}
		return err
	}
	o.size += int64(n)
	o.needBreak = false
	return nil
}

// kick asks the flusher to run soon; repeated kicks coalesce.
func (o *outbox) kick() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Has reports whether the result of attempt k awaits acknowledgement.
func (o *outbox) Has(k api.TaskKey) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.pending[k]
	return ok
}

// Len is the number of unacknowledged results.
func (o *outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.pending)
}

// Refs lists the attempts whose results await acknowledgement.
func (o *outbox) Refs() []api.TaskRef {
	o.mu.Lock()
	defer o.mu.Unlock()
	refs := make([]api.TaskRef, 0, len(o.pending))
	for _, r := range o.pending {
		refs = append(refs, r.TaskRef)
	}
	return refs
}

// batch returns up to n pending results, oldest attempt first, with at
// most maxReportResults bytes of task results (but at least one result).
func (o *outbox) batch(n int) []api.TaskResult {
	all := o.sorted()
	if len(all) > n {
		all = all[:n]
	}
	size := 0
	for i, r := range all {
		size += len(r.Result)
		if i > 0 && size > maxReportResults {
			return all[:i]
		}
	}
	return all
}

// ack drops the acknowledged results and returns how many it dropped. The
// journal is truncated when nothing is left pending, and compacted when it
// has grown too large.
func (o *outbox) ack(refs []api.TaskRef) int {
	o.jmu.Lock()
	defer o.jmu.Unlock()
	dropped := 0
	o.mu.Lock()
	for _, ref := range refs {
		if _, ok := o.pending[ref.Key()]; ok {
			delete(o.pending, ref.Key())
			dropped++
		}
	}
	left := len(o.pending)
	o.mu.Unlock()
	switch {
	case dropped == 0 || o.size == 0:
	case left == 0:
		o.truncate()
	case o.size > max(o.compactAt, 2*o.base):
		if err := o.rewrite(o.sorted()); err != nil {
			o.base = o.size // try again once the journal has doubled
			o.log.Warn("outbox: cannot compact the journal", "file", o.path, "size", o.size, "pending", left, "err", err)
		}
	}
	return dropped
}

// truncate empties the journal; o.jmu must be held and nothing pending.
func (o *outbox) truncate() {
	if o.f == nil {
		return
	}
	if err := o.f.Truncate(0); err != nil {
		o.log.Warn("outbox: cannot truncate the journal", "file", o.path, "err", err)
		return
	}
	o.size, o.base, o.needBreak = 0, 0, false
}

// close closes the journal file when the agent stops; pending results stay
// in it for the next run.
func (o *outbox) close() {
	o.jmu.Lock()
	defer o.jmu.Unlock()
	if o.f != nil {
		_ = o.f.Close()
		o.f = nil
	}
}

// rewrite replaces the journal by one holding just rs, through a temporary
// file renamed over it, and reopens it. On an error before the rename the
// old journal stays in use. o.jmu must be held (or o not yet shared).
func (o *outbox) rewrite(rs []api.TaskResult) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // one line per result, as Add writes them
	for _, r := range rs {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	tmp := o.path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, o.path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if o.f != nil {
		_ = o.f.Close()
	}
	o.f = nil
	o.size, o.base, o.needBreak = int64(buf.Len()), int64(buf.Len()), false
	f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err // appendLine tries again
	}
	o.f = f
	return nil
}

// Flush sends every pending result, in batches, until all are
// acknowledged, the server stops acknowledging, or sending fails.
func (o *outbox) Flush(ctx context.Context, send sendFunc) error {
	for {
		b := o.batch(o.batchSize)
		if len(b) == 0 {
			return nil
		}
		ack, err := send(ctx, b)
		if err != nil {
			return err
		}
		if ack.Error != nil {
			return fmt.Errorf("server refused the report: %w", ack.Error)
		}
		if o.ack(ack.Acked) == 0 {
			return errors.New("server acknowledged none of the reported results")
		}
	}
}

// Run is the flusher: it flushes whenever a result is added and every
// retry while results are pending, until ctx is cancelled.
func (o *outbox) Run(ctx context.Context, send sendFunc, retry time.Duration) {
	timer := time.NewTimer(retry)
	timer.Stop()
	defer timer.Stop()
	o.kick() // results loaded from disk go out at once
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-timer.C:
		}
		if err := o.Flush(ctx, send); err != nil && ctx.Err() == nil {
			o.log.Debug("outbox: flush failed; will retry", "pending", o.Len(), "err", err)
		}
		if o.Len() > 0 {
			timer.Reset(retry)
		} else {
			timer.Stop()
		}
	}
}
