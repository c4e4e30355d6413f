package api

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The environment variables through which a task hands over its result and
// reads its parents' (docs/jobs.md, "Results").
const (
	// EnvResult names the file a task may write its result to: kept as is
	// when it is JSON, else stored as a JSON string of its text.
	EnvResult = "SHRIKE_RESULT"
	// EnvParentResults names a JSON file {"task": result, ...} with the
	// results of the tasks this one depends on (those that have one); it
	// is set only when at least one has.
	EnvParentResults = "SHRIKE_PARENT_RESULTS"
	// EnvResultError names the file where the Lua runner explains why a
	// Lua task failed (a Lua error, a return value that cannot be a
	// result); the node reports it as the attempt's error.
	EnvResultError = "SHRIKE_RESULT_ERROR"
)

// JobResults answers GET /api/v1/jobs/{id}/result: every task's result by
// task name; tasks without one are left out.
type JobResults struct {
	Results map[string]json.RawMessage `json:"results"`
}

// ServerLogLine is one line of the scheduler's own account of a job
// (GET /api/v1/jobs/{id}/server-logs): placements, waiting reasons,
// retries, preemptions, controls and who used them, the end.
type ServerLogLine struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"`
	Task    string    `json:"task,omitempty"`
	Attempt int       `json:"attempt,omitempty"`
	Message string    `json:"message"`
}

// DefaultResultLimit is the largest result a task may produce when the
// server does not say (StartTask.ResultLimit 0): 1 MiB.
const DefaultResultLimit = 1 << 20

// ServerLog answers GET /api/v1/jobs/{id}/server-logs.
type ServerLog struct {
	Lines []ServerLogLine `json:"lines"`
}

// FormatServerLog writes lines as text, one a line: the time (RFC 3339
// in loc), the task and attempt when the line is about one
// ("build#2"), and the message.
func FormatServerLog(lines []ServerLogLine, loc *time.Location) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Time.In(loc).Format(time.RFC3339))
		if l.Task != "" {
			b.WriteString(" " + l.Task)
			if l.Attempt > 0 {
				b.WriteString("#" + strconv.Itoa(l.Attempt))
			}
		}
		b.WriteString("  " + l.Message + "\n")
	}
	return b.String()
}
