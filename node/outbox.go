package node

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// sendFunc delivers one batch of results and returns the server's ack.
type sendFunc func(ctx context.Context, batch []api.TaskResult) (api.ReportAck, error)

// outbox keeps task results on disk until the server acknowledges them.
//
// Each result is one JSON file, <dir>/<taskid>-<attempt>.json, written to a
// temporary name and renamed into place. The files are not fsynced: a
// result survives an agent crash or restart and a server outage, but not a
// crash of the node's host. That is deliberate: a host crash loses the
// running tasks too, the server declares the node lost and retries its
// attempts elsewhere, and an fsync per result would cap the node's
// throughput at the disk's flush rate.
//
// The in-memory index mirrors the files; mu guards it. File removal for
// acknowledged results happens before they leave the index, so that while
// a key is in the index its file is never removed by someone else.
type outbox struct {
	dir       string
	log       *slog.Logger
	batchSize int           // results per ReportBatch
	wake      chan struct{} // size 1: coalesces flush requests

	mu      sync.Mutex
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
		log:       log,
		batchSize: maxReportBatch,
		wake:      make(chan struct{}, 1),
		pending:   make(map[api.TaskKey]api.TaskResult),
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		switch {
		case strings.HasSuffix(name, ".tmp"):
			_ = os.Remove(path) // a write cut short; the attempt's result never existed
		case strings.HasSuffix(name, ".json"):
			r, err := readResult(path)
			if err != nil {
				log.Error("outbox: unreadable result set aside", "file", path, "err", err)
				_ = os.Rename(path, path+".corrupt")
				continue
			}
			o.pending[r.Key()] = r
		}
	}
	if len(o.pending) > 0 {
		log.Info("outbox: results from an earlier run will be re-sent", "count", len(o.pending))
	}
	return o, nil
}

func readResult(path string) (api.TaskResult, error) {
	var r api.TaskResult
	data, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, err
	}
	if r.TaskID == 0 {
		return r, errors.New("no task id")
	}
	return r, nil
}

func (o *outbox) fileName(k api.TaskKey) string {
	return filepath.Join(o.dir, fmt.Sprintf("%d-%d.json", k.TaskID, k.Attempt))
}

// Add stores r on disk and schedules a flush. If the file cannot be
// written (disk full), r is still kept in memory and sent while this agent
// runs; the error says that it would not survive a restart.
func (o *outbox) Add(r api.TaskResult) error {
	err := o.write(r)
	o.mu.Lock()
	o.pending[r.Key()] = r
	o.mu.Unlock()
	o.kick()
	return err
}

func (o *outbox) write(r api.TaskResult) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	path := o.fileName(r.Key())
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("outbox: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("outbox: %w", err)
	}
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

// batch returns up to n pending results, oldest attempt first.
func (o *outbox) batch(n int) []api.TaskResult {
	o.mu.Lock()
	all := make([]api.TaskResult, 0, len(o.pending))
	for _, r := range o.pending {
		all = append(all, r)
	}
	o.mu.Unlock()
	slices.SortFunc(all, func(a, b api.TaskResult) int {
		return cmp.Or(cmp.Compare(a.TaskID, b.TaskID), cmp.Compare(a.Attempt, b.Attempt))
	})
	if len(all) > n {
		all = all[:n]
	}
	return all
}

// ack drops the acknowledged results and returns how many it dropped.
func (o *outbox) ack(refs []api.TaskRef) int {
	var known []api.TaskKey
	o.mu.Lock()
	for _, ref := range refs {
		if _, ok := o.pending[ref.Key()]; ok {
			known = append(known, ref.Key())
		}
	}
	o.mu.Unlock()
	for _, k := range known {
		if err := os.Remove(o.fileName(k)); err != nil && !errors.Is(err, os.ErrNotExist) {
			o.log.Warn("outbox: cannot remove acknowledged result", "task_id", k.TaskID, "attempt", k.Attempt, "err", err)
		}
	}
	o.mu.Lock()
	for _, k := range known {
		delete(o.pending, k)
	}
	o.mu.Unlock()
	return len(known)
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
