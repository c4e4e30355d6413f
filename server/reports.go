package server

import (
	"encoding/json"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
)

// handleReport applies a batch of results from a node and acknowledges
// them once durable. The handler returns at once and answers from a
// goroutine, so reports from many nodes share one write.
func (s *Server) handleReport(msg *nats.Msg) {
	var batch api.ReportBatch
	name := nodeFromSubject(msg.Subject)
	if err := json.Unmarshal(msg.Data, &batch); err != nil || batch.Name != name {
		s.respond(msg, api.ReportAck{Error: errorReply(api.CodeBadRequest, "bad report batch")})
		return
	}
	c := s.resultsChange(name, batch.Results)
	go func() {
		if err := s.commitChange(c); err != nil {
			return // not acknowledged: the node repeats it
		}
		acked := make([]api.TaskRef, len(batch.Results))
		for i, r := range batch.Results {
			acked[i] = r.TaskRef
		}
		s.respond(msg, api.ReportAck{Acked: acked})
	}()
}

// applyResults applies results and waits until they are durable.
func (s *Server) applyResults(node string, results []api.TaskResult) {
	_ = s.commitChange(s.resultsChange(node, results))
}

// resultsChange applies results from node to the index and returns the
// change to commit. A result for an attempt that is not the task's current
// running attempt on that node (a repeat, or an attempt the server already
// gave up on, or the hold of a multi-node attempt that is over) only
// frees its reservation. A hold that ends while its attempt runs loses
// the attempt (multinode.go).
func (s *Server) resultsChange(node string, results []api.TaskResult) *change {
	c := &change{wake: true}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.seal(c)
	n := s.reg.Get(node)
	for _, r := range results {
		k := r.Key()
		if n != nil {
			n.Release(k)
		}
		t := s.tasks[k.TaskID]
		if t != nil && t.key() == k && api.TaskState(t.rec.State) == api.TaskRunning && t.holdsOn(node) {
			s.holdEnded(t, node, r, c)
			continue
		}
		if t == nil || !t.ranOn(r.Attempt, node) {
			continue // a repeat, or a hold's end after its attempt's
		}
		s.logs.expect(t.rec.JobID, k, r.LogSize, node)
		if t.key() != k || api.TaskState(t.rec.State) != api.TaskRunning {
			continue
		}
		if r.Transfers != "" {
			c.taskEvent(t, "files: "+r.Transfers)
		}
		s.endAttempt(t, r, c)
	}
	return c
}
