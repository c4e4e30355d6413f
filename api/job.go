package api

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Priority orders the queue: higher priorities are always considered first,
// and within one priority jobs run in submission order (FIFO).
type Priority int

// The priority levels, lowest first.
const (
	PriorityIdle Priority = iota
	PriorityLowest
	PriorityLow
	PriorityNormal
	PriorityHigh
	PriorityHighest
)

var priorityNames = []string{"idle", "lowest", "low", "normal", "high", "highest"}

// PriorityNames lists the accepted priority names, lowest first.
func PriorityNames() []string { return append([]string(nil), priorityNames...) }

func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityNames) {
		return fmt.Sprintf("priority(%d)", int(p))
	}
	return priorityNames[p]
}

// ParsePriority reads a priority name (case-insensitive).
func ParsePriority(s string) (Priority, error) {
	for i, n := range priorityNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Priority(i), nil
		}
	}
	return 0, fmt.Errorf("unknown priority %q: want one of %s", s, strings.Join(priorityNames, ", "))
}

// MarshalJSON writes the priority's name.
func (p Priority) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// UnmarshalJSON reads a priority name.
func (p *Priority) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("priority must be a string")
	}
	v, err := ParsePriority(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// JobState is the state of a whole job.
type JobState string

// Job states. PENDING: no task has started yet; RUNNING: at least one task
// started and the job is not over; PAUSED: its owner or an admin paused it,
// so none of its tasks starts (running ones go on) until it is resumed; the
// others are terminal.
const (
	JobPending  JobState = "PENDING"
	JobRunning  JobState = "RUNNING"
	JobPaused   JobState = "PAUSED"
	JobFinished JobState = "FINISHED"
	JobFailed   JobState = "FAILED"
	JobKilled   JobState = "KILLED"
)

// Terminal reports whether the job is over.
func (s JobState) Terminal() bool {
	return s == JobFinished || s == JobFailed || s == JobKilled
}

// TaskState is the state of one task of a job.
type TaskState string

// Task states. A PENDING task waits for its dependencies or for a node; a
// RUNNING one was placed on a node; the others are terminal. SKIPPED: a
// dependency did not finish, so the task never ran.
const (
	TaskPending  TaskState = "PENDING"
	TaskRunning  TaskState = "RUNNING"
	TaskFinished TaskState = "FINISHED"
	TaskFailed   TaskState = "FAILED"
	TaskSkipped  TaskState = "SKIPPED"
	TaskKilled   TaskState = "KILLED"
	// TaskInError: the task failed for good under on_task_error
	// suspend_task; it is not over, and waits (its dependents too) until
	// a user restarts it (task restart, job restart-failed) or kills it.
	TaskInError TaskState = "IN_ERROR"
)

// Terminal reports whether the task is over.
func (s TaskState) Terminal() bool {
	return s == TaskFinished || s == TaskFailed || s == TaskSkipped || s == TaskKilled
}

// JobSpec is a validated job document in canonical form. It is what the
// server stores and what `GET /jobs/{id}/spec` returns; the jobspec package
// parses user documents (YAML or JSON) into it.
type JobSpec struct {
	Name      string            `json:"name"`
	Priority  Priority          `json:"priority"`
	Variables map[string]string `json:"variables,omitempty"`
	// InputSpace and OutputSpace say where the job's INPUT and OUTPUT
	// spaces are: "" (the default) for the directories the server creates
	// for the job, or "user:PATH" / "global:PATH" for a folder of the
	// owner's USER space or of the GLOBAL space (PATH relative to that
	// space, "" for all of it; see dataspace.ParseRef).
	InputSpace  string `json:"input_space,omitempty"`
	OutputSpace string `json:"output_space,omitempty"`
	// Queue is the queue the job waits in ("" means DefaultQueue; the
	// server stores the resolved name).
	Queue string `json:"queue,omitempty"`
	// DependsOnJobs are jobs that must FINISH before any task of this one
	// starts; if one of them ends otherwise, this job's tasks are skipped.
	DependsOnJobs []int64 `json:"depends_on_jobs,omitempty"`
	// StartAt delays the job: none of its tasks starts before it.
	StartAt *time.Time `json:"start_at,omitempty"`
	// Parent is the job whose task submitted this one with its job-scoped
	// token (0 for a job a user submitted). The server sets it; a job
	// document cannot.
	Parent int64      `json:"parent,omitempty"`
	Tasks  []TaskSpec `json:"tasks"`
}

// DefaultQueue is the queue of jobs that name none.
const DefaultQueue = "default"

// TaskSpec is one task of a job. Exactly one of Command, Script and Lua is set.
type TaskSpec struct {
	Name string `json:"name"`
	// Command is an argv list run without a shell.
	Command []string `json:"command,omitempty"`
	// Script is a shell script run with /bin/sh (or its own #! line).
	Script string `json:"script,omitempty"`
	// Lua is a Lua script run by the node agent.
	Lua         string            `json:"lua,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
	DependsOn   []string          `json:"depends_on,omitempty"`
	Resources   Resources         `json:"resources"`
	MaxAttempts int               `json:"max_attempts"`
	// Walltime is the longest a single attempt may run; 0 means no limit.
	Walltime Duration `json:"walltime,omitempty"`
	// NodeToken requests nodes that carry this token (a node source's
	// node_tokens); nodes with tokens run only tasks that request one.
	NodeToken string `json:"node_token,omitempty"`
	// Selection scripts must all select a node for the task to run there
	// (the job's default when the task lists none).
	Selection []SelectionScript `json:"selection,omitempty"`
	// InputFiles are pulled into the task's scratch directory before it
	// starts; OutputFiles pushed from it after it ends.
	InputFiles  []FileTransfer `json:"input_files,omitempty"`
	OutputFiles []FileTransfer `json:"output_files,omitempty"`
	// OnTaskError is what a failure for good (no attempts left) does to the
	// rest of the job: "" or OnErrorContinue, OnErrorCancelJob,
	// OnErrorPauseJob. The parser fills in the job's default.
	OnTaskError string `json:"on_task_error,omitempty"`
	// RetryDelay is how long a failed attempt with attempts left waits
	// before the task is queued again; RetryBackoff "exponential" doubles
	// it per failure (capped at an hour).
	RetryDelay   Duration `json:"retry_delay,omitempty"`
	RetryBackoff string   `json:"retry_backoff,omitempty"`
	// RetryElsewhere makes a retried task avoid the nodes it failed on.
	RetryElsewhere bool `json:"retry_elsewhere,omitempty"`
	// Replicate, when set, makes the task an array: Replicate.Count
	// instances named NAME[i], each with SHRIKE_REPLICA (its value) and
	// SHRIKE_REPLICA_INDEX (i). Tasks that depend on it wait for all of
	// its instances.
	Replicate *Replicate `json:"replicate,omitempty"`
	// Nodes is how many nodes (slots) the task needs at once, all or
	// nothing (0 or 1: one). The task runs on the first with SHRIKE_NODES
	// and a nodes file; `shrike task exec` starts processes on the others.
	Nodes int `json:"nodes,omitempty"`
	// DistinctHosts puts each of a multi-node task's slots on a different
	// host.
	DistinctHosts bool `json:"distinct_hosts,omitempty"`
}

// Replicate describes an array task's instances: Values when set (Count
// is then len(Values)), else the integers From, From+Step, ... (Count of
// them).
type Replicate struct {
	Count  int      `json:"count"`
	From   int      `json:"from,omitempty"`
	Step   int      `json:"step,omitempty"`
	Values []string `json:"values,omitempty"`
}

// Values of TaskSpec.OnTaskError and RetryBackoff.
const (
	OnErrorContinue    = "continue"
	OnErrorCancelJob   = "cancel_job"
	OnErrorPauseJob    = "pause_job"
	OnErrorSuspendTask = "suspend_task"
	BackoffExponential = "exponential"
)

// Resources is what a task reserves on its node while it runs.
type Resources struct {
	// CPU in cores; fractions are allowed (0.5). Default 1.
	CPU float64 `json:"cpu"`
	// Memory in bytes; 0 reserves none.
	Memory ByteSize `json:"memory,omitempty"`
}

// MilliCPU returns the CPU request in thousandths of a core.
func (r Resources) MilliCPU() int64 { return int64(r.CPU*1000 + 0.5) }

// Defaults applied by the parser when a field is absent.
const (
	DefaultTaskCPU     = 1.0
	DefaultMaxAttempts = 1
	// MaxNodeLosses is how often a task may lose its node before it fails;
	// a node loss does not consume the task's max_attempts.
	MaxNodeLosses = 3
)

// FieldError is one problem in a request body, with the path of the field
// ("tasks[2].resources.memory") and why it is wrong.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) String() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Job is the REST view of a job (`GET /jobs/{id}`).
type Job struct {
	ID          int64             `json:"id"`
	Name        string            `json:"name"`
	State       JobState          `json:"state"`
	Owner       string            `json:"owner"`
	Priority    Priority          `json:"priority"`
	SubmittedAt time.Time         `json:"submitted_at"`
	FinishedAt  *time.Time        `json:"finished_at"`
	Variables   map[string]string `json:"variables,omitempty"`
	// Tasks is nil in listings; TaskCounts is set there instead.
	Tasks      []Task            `json:"tasks,omitempty"`
	TaskCounts map[TaskState]int `json:"task_counts,omitempty"`
	Queue      string            `json:"queue,omitempty"`
	// Parent is the job whose task submitted this one; Children the jobs
	// this one's tasks submitted (in GET /jobs/{id} only).
	Parent        int64      `json:"parent,omitempty"`
	Children      []int64    `json:"children,omitempty"`
	DependsOnJobs []int64    `json:"depends_on_jobs,omitempty"`
	StartAt       *time.Time `json:"start_at,omitempty"`
}

// Task is the REST view of one task.
type Task struct {
	Name       string     `json:"name"`
	State      TaskState  `json:"state"`
	Attempt    int        `json:"attempt"`
	Node       string     `json:"node"`
	ExitCode   *int       `json:"exit_code"`
	Error      string     `json:"error,omitempty"`
	DependsOn  []string   `json:"depends_on,omitempty"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	// WaitingReasons says, for a task that is ready but has no node yet,
	// why the last scheduling cycle placed it nowhere, counted by nodes.
	WaitingReasons []Reason `json:"waiting_reasons,omitempty"`
	// Replica is an array instance's SHRIKE_REPLICA value.
	Replica string `json:"replica,omitempty"`
	// Nodes are all the nodes of a running multi-node task, Node first.
	Nodes []string `json:"nodes,omitempty"`
	// HasResult is set when the task produced a result
	// (GET /jobs/{id}/tasks/{task}/result).
	HasResult bool `json:"has_result,omitempty"`
}

// Reason is one reason nodes gave for not taking a task, and how many
// nodes gave it ("2 nodes: not enough memory (needs 8GiB, most free 4GiB)").
type Reason struct {
	Count   int    `json:"count"`
	Message string `json:"message"`
}

// String writes the reason as "2 nodes: MESSAGE" ("1 node: ...", and the
// message alone when no nodes are counted: a job's own reason).
func (r Reason) String() string {
	switch r.Count {
	case 0:
		return r.Message
	case 1:
		return "1 node: " + r.Message
	}
	return strconv.Itoa(r.Count) + " nodes: " + r.Message
}

// JoinReasons writes reasons on one line: "3 nodes: not enough memory;
// 1 node: locked".
func JoinReasons(rs []Reason) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, "; ")
}

// JobList is the answer to `GET /jobs`.
type JobList struct {
	Jobs   []Job `json:"jobs"`
	Total  int   `json:"total"`
	Offset int   `json:"offset"`
	Limit  int   `json:"limit"`
}

// SubmitResponse is the answer to `POST /jobs`.
type SubmitResponse struct {
	ID       int64    `json:"id"`
	Warnings []string `json:"warnings,omitempty"`
}
