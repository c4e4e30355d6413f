package node

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// Log chunk sizes. A chunk travels base64-encoded inside JSON, so a fetch
// is kept well under NATS's default 1 MiB payload limit.
const (
	maxChunk = 64 << 10
	maxFetch = 512 << 10
)

var chunkBufs = sync.Pool{New: func() any { b := make([]byte, maxChunk); return &b }}

// tail streams one attempt's log file as LogChunks on the node's log
// subject. The poll loop (started by a timer, so short tasks never start
// one) and the final drain never run at the same time: the attempt's
// goroutine drains only after the loop has stopped.
type tail struct {
	a    *Agent
	ref  api.TaskRef
	path string
	off  int64    // bytes published so far
	f    *os.File // opened on first use

	stop chan struct{}
	done chan struct{}
}

func newTail(a *Agent, ref api.TaskRef, path string) *tail {
	return &tail{a: a, ref: ref, path: path, stop: make(chan struct{}), done: make(chan struct{})}
}

// loop publishes new output every poll interval until stopLoop.
func (t *tail) loop() {
	defer close(t.done)
	tick := time.NewTicker(t.a.cfg.LogPollInterval)
	defer tick.Stop()
	for {
		t.pump(false)
		select {
		case <-t.stop:
			return
		case <-tick.C:
		}
	}
}

// stopLoop ends the poll loop and waits for it.
func (t *tail) stopLoop() {
	close(t.stop)
	<-t.done
}

// drain publishes the rest of the log, the last chunk marked EOF (an empty
// EOF chunk if there is nothing left).
func (t *tail) drain() { t.pump(true) }

func (t *tail) close() {
	if t.f != nil {
		_ = t.f.Close()
	}
}

// pump publishes everything between off and the end of the file, in
// chunks of at most maxChunk bytes; with eof the last one carries EOF.
func (t *tail) pump(eof bool) {
	if t.f == nil {
		f, err := os.Open(t.path)
		if err != nil {
			if eof {
				t.publish(nil, true)
			}
			return
		}
		t.f = f
	}
	bp := chunkBufs.Get().(*[]byte)
	defer chunkBufs.Put(bp)
	buf := *bp
	for {
		n, err := t.f.ReadAt(buf, t.off)
		last := n < len(buf) || err != nil
		if n == 0 && !eof {
			return
		}
		var data []byte
		if n > 0 {
			data = buf[:n]
		}
		t.publish(data, eof && last)
		t.off += int64(n)
		if last {
			return
		}
	}
}

func (t *tail) publish(data []byte, eof bool) {
	msg, err := json.Marshal(api.LogChunk{TaskRef: t.ref, Offset: t.off, Data: data, EOF: eof})
	if err != nil {
		return
	}
	if err := t.a.nc.Publish(api.SubjectLog(t.a.cfg.Name), msg); err != nil {
		t.a.log.Debug("log chunk not sent; the server can fetch it", "task_id", t.ref.TaskID, "offset", t.off, "err", err)
	}
}

// fetchLog answers a FetchLog command: up to req.Max bytes (at most
// maxFetch) of the attempt's log from req.Offset. Data is nil at the end of
// the file; EOF is set when the read reaches the end of the log of an
// attempt that no longer runs.
func (a *Agent) fetchLog(req api.FetchLogRequest) api.CommandReply {
	if req.Offset < 0 {
		return api.CommandReply{Error: api.Errorf(api.CodeBadRequest, "offset must not be negative")}
	}
	f, err := os.Open(a.logPath(req.Key()))
	if errors.Is(err, os.ErrNotExist) {
		return api.CommandReply{Error: api.Errorf(api.CodeNotFound, "no log for task %d attempt %d on node %s", req.TaskID, req.Attempt, a.cfg.Name)}
	}
	if err != nil {
		return api.CommandReply{Error: api.Errorf(api.CodeInternal, "read log: %v", err)}
	}
	defer f.Close()
	limit := req.Max
	if limit <= 0 || limit > maxFetch {
		limit = maxFetch
	}
	buf := make([]byte, limit)
	n, err := f.ReadAt(buf, req.Offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return api.CommandReply{Error: api.Errorf(api.CodeInternal, "read log: %v", err)}
	}
	chunk := &api.LogChunk{TaskRef: req.TaskRef, Offset: req.Offset}
	if n > 0 {
		chunk.Data = buf[:n]
	}
	if n < limit {
		a.mu.Lock()
		at := a.running[req.Key()]
		a.mu.Unlock()
		chunk.EOF = at == nil || at.logDone.Load()
	}
	return api.CommandReply{Log: chunk}
}
