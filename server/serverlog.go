package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/scheduler"
	"github.com/shrike-grid/shrike/store"
)

// The job's server log is the scheduler's own account of a job: its
// submission, why its tasks wait (when the reason first appears or
// changes, not every cycle), placements, node losses, retries with their
// delay, error-policy actions, controls and who used them, preemptions,
// the end. Each line is appended to the change that makes the state
// change it describes, so it is written in the same transaction (store
// job_logs) and goes with the job.

// logJob appends a line about job jobID (task "" for the job as a whole).
func (c *change) logJob(jobID int64, task string, attempt int, msg string) {
	c.m.JobLogs = append(c.m.JobLogs, store.JobLogRecord{
		JobID: jobID, Time: time.Now(), Task: task, Attempt: attempt, Message: msg,
	})
}

// logTask appends a line about t's current attempt.
func (c *change) logTask(t *taskState, msg string) {
	c.logJob(t.rec.JobID, t.rec.Name, t.rec.Attempt, msg)
}

// taskLogLine words a task event for the server log: a placement, or the
// task's new state with the reason, and when a retry waits, until when.
func taskLogLine(t *taskState, info string) string {
	st := api.TaskState(t.rec.State)
	if st == api.TaskRunning {
		if info == "" {
			return fmt.Sprintf("placed on node %s (attempt %d)", t.rec.Node, t.rec.Attempt)
		}
		return info
	}
	var b strings.Builder
	b.WriteString(string(st))
	if (st == api.TaskFinished || st == api.TaskFailed) && t.rec.Node != "" {
		b.WriteString(" on node " + t.rec.Node)
	}
	if info != "" {
		b.WriteString(": " + info)
	}
	if st == api.TaskPending && !t.retryAt.IsZero() {
		b.WriteString("; the retry waits until " + t.retryAt.Format(time.TimeOnly))
	}
	return b.String()
}

// logWaiting writes why t waits, when the reasons (their messages, not
// their counts) differ from those last written. Called with s.mu held.
func logWaiting(t *taskState, reasons []scheduler.Reason, c *change) {
	if sameMessages(t.waitLogged, reasons) {
		return
	}
	t.waitLogged = reasons
	c.logTask(t, "waiting: "+waitingText(reasons))
}

func sameMessages(a, b []scheduler.Reason) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Message != b[i].Message {
			return false
		}
	}
	return true
}

// submittedLine is the first line of a job's server log.
func submittedLine(owner string, spec api.JobSpec) string {
	n := "1 task"
	if len(spec.Tasks) != 1 {
		n = strconv.Itoa(len(spec.Tasks)) + " tasks"
	}
	return fmt.Sprintf("submitted by %s: %s, queue %s, priority %s", owner, n, queueOf(&spec), spec.Priority)
}

// JobServerLogs implements rest.Backend.
func (s *Server) JobServerLogs(ctx context.Context, p rest.Principal, id int64, after int64) ([]api.ServerLogLine, error) {
	if _, _, _, err := s.loadJob(ctx, p, id); err != nil {
		return nil, err
	}
	recs, err := s.store.ListJobLogs(ctx, id, after)
	if err != nil {
		return nil, err
	}
	out := make([]api.ServerLogLine, len(recs))
	for i, r := range recs {
		out[i] = api.ServerLogLine{Seq: r.Seq, Time: r.Time, Task: r.Task, Attempt: r.Attempt, Message: r.Message}
	}
	return out, nil
}

// waitingText writes a task's waiting reasons for its server log.
func waitingText(reasons []scheduler.Reason) string {
	if len(reasons) == 0 {
		return "no node was examined"
	}
	return scheduler.JoinReasons(reasons)
}
