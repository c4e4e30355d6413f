package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// logStore keeps task output under <data-dir>/logs/<job>/<task>-<attempt>.log.
// Nodes stream chunks live; each chunk carries its offset, so a repeated
// chunk is harmless. When an attempt ends its result says how long the
// output is; shortly after, whatever did not arrive live is fetched from the
// node. Until that check is done the attempt's log is not complete.
type logStore struct {
	dir string

	mu sync.Mutex
	// fetching holds the attempts whose end is being checked; each
	// channel is closed when its check is done.
	fetching map[api.TaskKey]chan struct{}
	fetch    func(node string, jobID int64, k api.TaskKey) // set by the server
}

func newLogStore(dir string) *logStore {
	return &logStore{dir: dir, fetching: make(map[api.TaskKey]chan struct{})}
}

func (l *logStore) path(jobID int64, k api.TaskKey) string {
	return filepath.Join(l.dir, fmt.Sprint(jobID), fmt.Sprintf("%d-%d.log", k.TaskID, k.Attempt))
}

// write stores a chunk at its offset.
func (l *logStore) write(jobID int64, k api.TaskKey, offset int64, data []byte) error {
	p := l.path(jobID, k)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(p), 0o700); err == nil {
			f, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
		}
	}
	if err != nil {
		return err
	}
	_, err = f.WriteAt(data, offset)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (l *logStore) size(jobID int64, k api.TaskKey) int64 {
	fi, err := os.Stat(l.path(jobID, k))
	if err != nil {
		return 0
	}
	return fi.Size()
}

// read returns up to max bytes from offset.
func (l *logStore) read(jobID int64, k api.TaskKey, offset int64, max int) ([]byte, error) {
	f, err := os.Open(l.path(jobID, k))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, max)
	n, err := f.ReadAt(buf, offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}

// expect is told an attempt's final output size. If it is not empty, the
// log is checked after a short delay (chunks still in flight usually land
// first) and what is missing is fetched from the node; the attempt's log is
// complete once that is done.
func (l *logStore) expect(jobID int64, k api.TaskKey, size int64, node string) {
	if size <= 0 {
		return
	}
	l.mu.Lock()
	_, busy := l.fetching[k]
	done := make(chan struct{})
	if !busy {
		l.fetching[k] = done
	}
	l.mu.Unlock()
	if busy {
		return
	}
	time.AfterFunc(300*time.Millisecond, func() {
		if l.size(jobID, k) < size && l.fetch != nil {
			l.fetch(node, jobID, k)
		}
		l.mu.Lock()
		delete(l.fetching, k)
		l.mu.Unlock()
		close(done)
	})
}

// complete reports whether an ended attempt's output is all here (or all
// that could be had: a node that is gone cannot send the rest).
func (l *logStore) complete(k api.TaskKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, busy := l.fetching[k]
	return !busy
}

// settle waits, at most wait or until ctx ends, for the check of an ended
// attempt's output, so that a read just after the task ended gets all of
// it rather than what had arrived live.
func (l *logStore) settle(ctx context.Context, k api.TaskKey, wait time.Duration) {
	l.mu.Lock()
	done := l.fetching[k]
	l.mu.Unlock()
	if done == nil {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
}

// handleLog stores a live chunk of output from the node that runs it.
func (s *Server) handleLog(msg *nats.Msg) {
	var ch api.LogChunk
	node := nodeFromSubject(msg.Subject)
	if err := json.Unmarshal(msg.Data, &ch); err != nil || len(ch.Data) == 0 {
		return
	}
	s.mu.Lock()
	t := s.tasks[ch.TaskID]
	ok := t != nil && t.ranOn(ch.Attempt, node)
	var jobID int64
	if ok {
		jobID = t.rec.JobID
	}
	s.mu.Unlock()
	if !ok {
		return
	}
	if err := s.logs.write(jobID, ch.Key(), ch.Offset, ch.Data); err != nil {
		s.log.Warn("storing task output failed", "task", ch.TaskID, "err", err)
	}
}

// fetchLog pulls the missing end of an attempt's output from its node.
func (s *Server) fetchLog(node string, jobID int64, k api.TaskKey) {
	const chunk = 1 << 20
	for range 1024 {
		off := s.logs.size(jobID, k)
		var reply api.CommandReply
		req := api.Command{FetchLog: &api.FetchLogRequest{TaskRef: api.TaskRef{TaskID: k.TaskID, Attempt: k.Attempt}, Offset: off, Max: chunk}}
		if err := s.request(api.SubjectCommand(node), req, &reply); err != nil || reply.Error != nil || reply.Log == nil || len(reply.Log.Data) == 0 {
			return
		}
		if err := s.logs.write(jobID, k, reply.Log.Offset, reply.Log.Data); err != nil {
			s.log.Warn("storing fetched output failed", "task", k.TaskID, "err", err)
			return
		}
		if reply.Log.EOF {
			return
		}
	}
}

// TaskLog implements rest.Backend.
func (s *Server) TaskLog(ctx context.Context, p rest.Principal, jobID int64, task string, attempt int, offset int64, max int) (rest.LogPage, error) {
	_, _, tasks, err := s.loadJob(ctx, p, jobID)
	if err != nil {
		return rest.LogPage{}, err
	}
	for _, t := range tasks {
		if t.Name != task {
			continue
		}
		if attempt <= 0 {
			attempt = t.Attempt
		}
		if attempt > t.Attempt || attempt <= 0 {
			done := attemptOver(api.TaskState(t.State))
			if attempt > t.Attempt && t.Attempt > 0 {
				return rest.LogPage{}, api.Errorf(api.CodeNotFound, "task %s has run %d attempt(s), not %d", task, t.Attempt, attempt)
			}
			return rest.LogPage{Next: offset, Attempt: attempt, Done: done}, nil
		}
		k := api.TaskKey{TaskID: t.ID, Attempt: attempt}
		over := attempt < t.Attempt || attemptOver(api.TaskState(t.State))
		if over {
			// The end of its output may still be on its way (chunks in
			// flight, or the fetch of what was missed).
			s.logs.settle(ctx, k, s.cfg.RequestTimeout)
		}
		data, err := s.logs.read(jobID, k, offset, max)
		if err != nil {
			return rest.LogPage{}, err
		}
		next := offset + int64(len(data))
		done := over && s.logs.complete(k) && next >= s.logs.size(jobID, k)
		return rest.LogPage{Data: data, Next: next, Attempt: attempt, Done: done}, nil
	}
	return rest.LogPage{}, api.Errorf(api.CodeNotFound, "job %d has no task %q", jobID, task)
}

// attemptOver reports whether a task in state st has no attempt running
// or to come without someone acting: it is over, or IN_ERROR (suspended
// until restarted), so a log follower stops.
func attemptOver(st api.TaskState) bool { return st.Terminal() || st == api.TaskInError }
