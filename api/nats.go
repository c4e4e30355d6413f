package api

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// The NATS subject map. Everything lives under "shrike.". A node may
// publish only on its own subjects (shrike.node.<name>.>) and subscribe
// only to its command subject and its own reply inbox; replies to server
// requests are allowed as responses. Because even registration goes to the
// node's own subject, a node cannot register under another node's name.
//
//	shrike.node.<name>.register     node → server  request: RegisterRequest → RegisterReply
//	shrike.node.<name>.heartbeat    node → server  request: Heartbeat → HeartbeatReply
//	shrike.node.<name>.report       node → server  request: ReportBatch → ReportAck
//	shrike.node.<name>.log          node → server  publish: LogChunk
//	shrike.node.<name>.cmd          server → node  request: Command → CommandReply
//	shrike.node.<name>.exec.<id>    node → server  publish: ExecMessage (output of an exec)
//	shrike.events.<kind>            server         publish: Event (JetStream stream EVENTS)
const (
	SubjectNodeWildcard = "shrike.node.*.>"
	SubjectEvents       = "shrike.events"
)

// SubjectRegister is where node name registers.
func SubjectRegister(node string) string { return "shrike.node." + node + ".register" }

// SubjectHeartbeat is where node name publishes its heartbeats.
func SubjectHeartbeat(node string) string { return "shrike.node." + node + ".heartbeat" }

// SubjectReport is where node name sends task results.
func SubjectReport(node string) string { return "shrike.node." + node + ".report" }

// SubjectLog is where node name publishes task output.
func SubjectLog(node string) string { return "shrike.node." + node + ".log" }

// SubjectCommand is where the server sends commands to node name.
func SubjectCommand(node string) string { return "shrike.node." + node + ".cmd" }

// NodeSubjects is the subject tree node name may use.
func NodeSubjects(node string) string { return "shrike.node." + node + ".>" }

// InboxPrefix is the reply-inbox prefix a node must use, so that it can
// subscribe to its own replies and to nobody else's.
func InboxPrefix(node string) string { return "_INBOX_" + node }

var nodeNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$`)

// ValidateNodeName checks that name can be used in a NATS subject and a
// file name: letters, digits, '-' and '_', at most 63 characters.
func ValidateNodeName(name string) error {
	if !nodeNameRE.MatchString(name) {
		return fmt.Errorf("invalid node name %q: use letters, digits, '-' and '_' (at most 63, starting with a letter or digit)", name)
	}
	return nil
}

// NodeFacts is what a node reports about itself at registration.
type NodeFacts struct {
	Hostname    string   `json:"hostname"`
	OS          string   `json:"os"`
	Arch        string   `json:"arch"`
	CPUs        int      `json:"cpus"`
	Slots       int      `json:"slots"`
	MemoryTotal int64    `json:"memory_total"`
	MemoryFree  int64    `json:"memory_free"`
	Load1       float64  `json:"load1"`
	Tags        []string `json:"tags,omitempty"`
	Version     string   `json:"version"`
	// DiskFree and DiskTotal describe the file system of the node's work
	// directory, in bytes. DiskFree is refreshed by every heartbeat.
	DiskFree  int64 `json:"disk_free,omitempty"`
	DiskTotal int64 `json:"disk_total,omitempty"`
	// GPUs are the node's GPUs (NVIDIA ones, found with nvidia-smi).
	GPUs []GPU `json:"gpus,omitempty"`
	// IPs are the addresses of the node's up, non-loopback interfaces:
	// IPv4 first, each family sorted.
	IPs []string `json:"ips,omitempty"`
	// Custom are the custom facts (--fact, --facts-file).
	Custom map[string]string `json:"custom,omitempty"`
	// SharedSpaces are the spaces this node sees at a local path (a
	// shared file system; --shared-space), by name: SharedSpaceGlobal,
	// SharedSpaceUserPrefix+username for a user's space, SharedSpaceJobs
	// for the directory holding every job's input and output spaces. The
	// server fills Staging.Local from them for tasks placed on the node.
	SharedSpaces map[string]string `json:"shared_spaces,omitempty"`
}

// Names of NodeFacts.SharedSpaces: the server's
// <data-dir>/spaces/{global,users/<name>,jobs}.
const (
	SharedSpaceGlobal     = "global"
	SharedSpaceUserPrefix = "user:"
	SharedSpaceJobs       = "jobs"
)

// GPU is one GPU of a node.
type GPU struct {
	Model       string `json:"model"`
	MemoryTotal int64  `json:"memory_total,omitempty"` // bytes
}

// RegisterRequest is sent by a node when it connects and whenever the server
// asks it to register again (for example after a server restart). Running
// lists every task attempt the node still runs or holds an unacknowledged
// result for, so the server can re-attach them.
type RegisterRequest struct {
	Name     string    `json:"name"`
	Instance string    `json:"instance"`
	Facts    NodeFacts `json:"facts"`
	Running  []TaskRef `json:"running"`
}

// RegisterReply answers a RegisterRequest. Kill lists attempts the node
// reported that the server no longer wants.
type RegisterReply struct {
	NodeID            string    `json:"node_id"`
	HeartbeatInterval Duration  `json:"heartbeat_interval"`
	Kill              []TaskRef `json:"kill,omitempty"`
	Error             *Error    `json:"error,omitempty"`
}

// Heartbeat is the node's full state, sent every heartbeat interval.
type Heartbeat struct {
	Name       string    `json:"name"`
	Instance   string    `json:"instance"`
	Seq        uint64    `json:"seq"`
	MemoryFree int64     `json:"memory_free"`
	Load1      float64   `json:"load1"`
	DiskFree   int64     `json:"disk_free,omitempty"`
	Running    []TaskRef `json:"running"`
	// Owner is the workstation owner reading, when the agent watches it.
	Owner *OwnerReading `json:"owner,omitempty"`
	// Suspended is set while the node's tasks are stopped (SIGSTOP).
	Suspended bool `json:"suspended,omitempty"`
}

// HeartbeatReply carries the server's corrections: register again (the
// server does not know this node instance), or kill attempts it no longer
// wants.
type HeartbeatReply struct {
	Reregister bool      `json:"reregister,omitempty"`
	Kill       []TaskRef `json:"kill,omitempty"`
	Error      *Error    `json:"error,omitempty"`
}

// Command is a request from the server to a node; exactly one field is set.
type Command struct {
	Start    *StartRequest    `json:"start,omitempty"`
	Kill     *KillRequest     `json:"kill,omitempty"`
	FetchLog *FetchLogRequest `json:"fetch_log,omitempty"`
	Leave    *LeaveRequest    `json:"leave,omitempty"`
	Suspend  *SuspendRequest  `json:"suspend,omitempty"`
	Select   *SelectRequest   `json:"select,omitempty"`
	// Exec starts (or kills) a process inside a running attempt (exec.go).
	Exec *ExecRequest `json:"exec,omitempty"`
}

// SelectRequest asks a node to evaluate dynamic selection scripts on
// itself (with host probes); the reply's Verdicts are in Scripts' order.
type SelectRequest struct {
	Scripts []DynamicScript `json:"scripts"`
}

// DynamicScript is one dynamic selection script to evaluate on a node.
type DynamicScript struct {
	Label  string            `json:"label"`  // for reasons: "gpu.lua", "selection[1]"
	Source string            `json:"source"` // the Lua source
	Args   []string          `json:"args,omitempty"`
	Vars   map[string]string `json:"vars,omitempty"`
	// Timeout is the script's wall-clock budget (default 5s).
	Timeout Duration `json:"timeout,omitempty"`
}

// LeaveRequest tells a node it was removed from the grid: it kills its
// tasks (without reporting them), disconnects and its agent exits.
type LeaveRequest struct {
	Reason string `json:"reason"`
}

// CommandReply answers a Command.
type CommandReply struct {
	Accepted []TaskRef      `json:"accepted,omitempty"`
	Rejected []RejectedTask `json:"rejected,omitempty"`
	Log      *LogChunk      `json:"log,omitempty"`
	// Verdicts answer a SelectRequest, in its order.
	Verdicts []ScriptVerdict `json:"verdicts,omitempty"`
	Error    *Error          `json:"error,omitempty"`
}

// RejectedTask is a start the node refused, with the reason.
type RejectedTask struct {
	TaskRef
	Reason string `json:"reason"`
}

// StartRequest asks a node to start task attempts.
type StartRequest struct {
	Tasks []StartTask `json:"tasks"`
}

// StartTask is everything a node needs to run one attempt.
type StartTask struct {
	TaskRef
	JobName   string            `json:"job_name"`
	Command   []string          `json:"command,omitempty"`
	Script    string            `json:"script,omitempty"`
	Lua       string            `json:"lua,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	Walltime  Duration          `json:"walltime,omitempty"`
	KillGrace Duration          `json:"kill_grace,omitempty"`
	// Staging, when set, moves the task's declared files: inputs pulled
	// into the scratch directory before the task starts, outputs pushed
	// after it ends (failed too).
	Staging *Staging `json:"staging,omitempty"`
	// APIURL and APIToken let the task call the REST API as its job
	// (SHRIKE_ADDR and SHRIKE_TOKEN in its environment): submit child
	// jobs, read results, exec on its other nodes. The token is valid
	// while this attempt runs.
	APIURL   string `json:"api_url,omitempty"`
	APIToken string `json:"api_token,omitempty"`
	// Nodes, for a multi-node task, are all its nodes, this one first
	// (SHRIKE_NODES and the nodes file).
	Nodes []string `json:"nodes,omitempty"`
	// Hold is set on the other nodes of a multi-node task: the node keeps
	// the slot for the attempt and runs nothing until told to (exec); the
	// hold ends when the attempt is killed.
	Hold bool `json:"hold,omitempty"`
	// ParentResults are the results of the tasks this one depends on, by
	// task name (Lua: the results table; other tasks: a JSON file named
	// by SHRIKE_PARENT_RESULTS).
	ParentResults map[string]json.RawMessage `json:"parent_results,omitempty"`
	// ResultLimit is the largest result the task may produce, in bytes.
	ResultLimit int64 `json:"result_limit,omitempty"`
}

// KillRequest asks a node to stop task attempts (SIGTERM to the process
// group, SIGKILL after the grace period). The node reports them as killed.
type KillRequest struct {
	Tasks  []TaskRef `json:"tasks"`
	Reason string    `json:"reason,omitempty"`
}

// FetchLogRequest asks a node for a range of a task attempt's output that
// the server did not receive live.
type FetchLogRequest struct {
	TaskRef
	Offset int64 `json:"offset"`
	Max    int   `json:"max"`
}

// Outcome is how a task attempt ended on its node.
type Outcome string

// Outcomes reported by nodes.
const (
	OutcomeSucceeded Outcome = "succeeded" // exit code 0
	OutcomeFailed    Outcome = "failed"    // non-zero exit or signal
	OutcomeWalltime  Outcome = "walltime"  // killed for exceeding its walltime
	OutcomeKilled    Outcome = "killed"    // killed on request
	OutcomeError     Outcome = "error"     // could not be started at all
)

// TaskResult is the final report of one attempt. Nodes keep it in an on-disk
// outbox and repeat it until the server acknowledges it; the server ignores
// repeats and stale attempts.
type TaskResult struct {
	TaskRef
	Outcome    Outcome   `json:"outcome"`
	ExitCode   int       `json:"exit_code"`
	Error      string    `json:"error,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// LogSize is the attempt's total output size, so the server can fetch
	// what it missed.
	LogSize int64 `json:"log_size"`
	// Transfers summarises the attempt's staged files ("input_files[0]: 3
	// files from input; output_files[0]: 1 file to output"), for the task's
	// events; failures are in Error.
	Transfers string `json:"transfers,omitempty"`
	// Result is the task's result: the Lua task's return value, or the
	// JSON the task wrote to $SHRIKE_RESULT; nil for none.
	Result json.RawMessage `json:"result,omitempty"`
}

// ReportBatch carries one or more results from a node.
type ReportBatch struct {
	Name    string       `json:"name"`
	Results []TaskResult `json:"results"`
}

// ReportAck lists the results the server has durably handled (or
// recognised as repeats); the node may drop them from its outbox.
type ReportAck struct {
	Acked []TaskRef `json:"acked"`
	Error *Error    `json:"error,omitempty"`
}

// LogChunk is a piece of a task attempt's combined stdout/stderr, at Offset.
// Writing a chunk twice is harmless.
type LogChunk struct {
	TaskRef
	Offset int64  `json:"offset"`
	Data   []byte `json:"data"`
	EOF    bool   `json:"eof,omitempty"`
}

// Event is a state change published on shrike.events.<kind>.
type Event struct {
	Seq   uint64    `json:"seq,omitempty"`
	Time  time.Time `json:"time"`
	Kind  string    `json:"kind"` // job, task, node
	JobID int64     `json:"job_id,omitempty"`
	Task  string    `json:"task,omitempty"`
	Node  string    `json:"node,omitempty"`
	State string    `json:"state"`
	Info  string    `json:"info,omitempty"`
}
