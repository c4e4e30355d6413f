package api

import (
	"strconv"
	"time"
)

// Selection script types.
const (
	// SelectionStatic scripts read only the node's reported facts; the
	// server evaluates them and caches the verdict until the facts change.
	SelectionStatic = "static"
	// SelectionDynamic scripts run on the node itself, with host probes,
	// each time the node is considered.
	SelectionDynamic = "dynamic"
)

// SelectionScript is one selection script of a task: exactly one of Lua
// (the source) and File (a script of the shipped library, "gpu.lua") is
// set. All of a task's scripts must select a node for the task to run
// there. The script sees the job's variables (vars) and Args (args).
type SelectionScript struct {
	Lua  string   `json:"lua,omitempty"`
	File string   `json:"file,omitempty"`
	Type string   `json:"type"` // SelectionStatic (default) or SelectionDynamic
	Args []string `json:"args,omitempty"`
}

// Label names a script in reasons: its file, or "selection[i]".
func (s SelectionScript) Label(i int) string {
	if s.File != "" {
		return s.File
	}
	return "selection[" + strconv.Itoa(i) + "]"
}

// ScriptVerdict is what one selection script said about one node.
type ScriptVerdict struct {
	Script   string `json:"script"` // its label
	Type     string `json:"type"`
	Selected bool   `json:"selected"`
	// Reason explains a false verdict: "returned false", or the error,
	// timeout or budget the script hit ("gpu.lua:3: attempt to index a nil
	// value").
	Reason string `json:"reason,omitempty"`
	// Cached: a static verdict reused from the cache; Pending: a dynamic
	// script not evaluated on the node yet; BackOff: skipped until then
	// after a failure.
	Cached  bool       `json:"cached,omitempty"`
	Pending bool       `json:"pending,omitempty"`
	BackOff *time.Time `json:"back_off,omitempty"`
}

// NodeVerdict is why one node can or cannot run a task now.
type NodeVerdict struct {
	Node string `json:"node"`
	// Fits: the node could take the task now.
	Fits bool `json:"fits"`
	// Reasons lists why not, in the scheduler's order (availability,
	// tokens and access, selection scripts, slots, CPU, memory).
	Reasons []string        `json:"reasons,omitempty"`
	Scripts []ScriptVerdict `json:"scripts,omitempty"`
}

// TaskExplain explains one task: why it waits, counted across nodes, and
// (dry run) which nodes could run it.
type TaskExplain struct {
	Task  string    `json:"task"`
	State TaskState `json:"state"`
	// Reasons are the rejections counted across nodes ("9870 nodes:
	// gpu.lua returned false"); empty when some node fits.
	Reasons []Reason `json:"reasons,omitempty"`
	// Eligible counts the nodes that could run the task now; Nodes names
	// them (at most 100, by name).
	Eligible int      `json:"eligible"`
	Nodes    []string `json:"nodes,omitempty"`
	// Node is the detailed verdict of the node asked for (?node=).
	Node *NodeVerdict `json:"node,omitempty"`
}

// JobExplain is the answer to `GET /jobs/{id}/explain` (pending tasks
// only) and to a dry run (`POST /jobs?dry_run=true`: every task, nothing
// stored).
type JobExplain struct {
	JobID int64         `json:"job_id,omitempty"`
	Tasks []TaskExplain `json:"tasks"`
	// Warnings: tasks no current node can run (nodes may join later).
	Warnings []string `json:"warnings,omitempty"`
}

// ScriptTestRequest is the body of `POST /scripts/test`: evaluate one
// selection script against a live node.
type ScriptTestRequest struct {
	Script SelectionScript   `json:"script"`
	Node   string            `json:"node"`
	Vars   map[string]string `json:"vars,omitempty"`
}

// ScriptTestResult is the verdict and what the script saw.
type ScriptTestResult struct {
	Node     string        `json:"node"`
	Verdict  ScriptVerdict `json:"verdict"`
	Digest   string        `json:"digest"`
	Duration Duration      `json:"duration"`
	// Facts is the node table the script saw (static scripts).
	Facts map[string]any `json:"facts,omitempty"`
}
