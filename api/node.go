package api

import "time"

// NodeState is the resource manager's view of a node.
type NodeState string

// Node states. FREE: alive with room for more work; BUSY: alive and full;
// DOWN: missed its heartbeats (it may come back). The states of deployment
// and release are in source.go.
const (
	NodeFree NodeState = "FREE"
	NodeBusy NodeState = "BUSY"
	NodeDown NodeState = "DOWN"
)

// Node is the REST view of a node (`GET /nodes`).
type Node struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	State        NodeState  `json:"state"`
	Hostname     string     `json:"hostname"`
	OS           string     `json:"os"`
	Arch         string     `json:"arch"`
	CPUs         int        `json:"cpus"`
	Memory       int64      `json:"memory"`
	MemoryFree   int64      `json:"memory_free"`
	Load1        float64    `json:"load1"`
	Slots        int        `json:"slots"`
	Tags         []string   `json:"tags"`
	Version      string     `json:"version"`
	RunningTasks []TaskRef  `json:"running_tasks"`
	UsedCPU      float64    `json:"used_cpu"`
	UsedMemory   int64      `json:"used_memory"`
	RegisteredAt time.Time  `json:"registered_at"`
	LastSeen     *time.Time `json:"last_seen"`
	// Locked is set while an admin keeps the node from new work.
	Locked *NodeLock `json:"locked,omitempty"`
	// Draining: no new work; the node can be removed once it is empty.
	Draining bool `json:"draining,omitempty"`
	// Source is the node source the node belongs to.
	Source string `json:"source"`
	// StateSince is when the node entered State.
	StateSince time.Time `json:"state_since"`
	// Suspended is set while a workstation's owner is back and the
	// node's tasks are stopped.
	Suspended bool `json:"suspended,omitempty"`
	// Withheld: the source's policy keeps the node from new work now
	// (outside its time slot, owner at the workstation); Reason says why.
	Withheld string `json:"withheld,omitempty"`
	// Owner is the latest workstation owner reading.
	Owner *OwnerReading `json:"owner,omitempty"`
}

// NodeLock says who locked a node, when and why.
type NodeLock struct {
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
}

// NodeDetail is the answer to `GET /nodes/{id}`: the node, its reported
// facts and its recent history (newest last).
type NodeDetail struct {
	Node
	Facts   NodeFacts   `json:"facts"`
	History []NodeEvent `json:"history"`
}

// NodeEvent is one change of a node, recorded in its history and emitted
// as an RM event: its state, lock or drain flag changed, or it joined or
// was removed.
type NodeEvent struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	Node     string    `json:"node"`
	State    NodeState `json:"state"`
	Locked   bool      `json:"locked"`
	Draining bool      `json:"draining"`
	// Event is what happened: registered, state, locked, unlocked,
	// draining, undrained, removed.
	Event string `json:"event"`
	By    string `json:"by,omitempty"`
	Info  string `json:"info,omitempty"`
}

// NodeLockRequest is the body of `POST /nodes/{id}/lock`.
type NodeLockRequest struct {
	Reason string `json:"reason"`
}

// RMEventList is the answer to `GET /rm/events?after=N`: events with
// Seq > N, oldest first; Next is the Seq to ask after next time.
type RMEventList struct {
	Events []NodeEvent `json:"events"`
	Next   int64       `json:"next"`
}

// RMStats is the answer to `GET /rm`. ByState lists every state, zeros
// included; the capacity sums count the nodes that are not DOWN.
type RMStats struct {
	Nodes     int               `json:"nodes"`
	ByState   map[NodeState]int `json:"by_state"`
	Locked    int               `json:"locked"`
	Draining  int               `json:"draining"`
	Slots     int               `json:"slots"`
	UsedSlots int               `json:"used_slots"`
	CPUs      int               `json:"cpus"`
	UsedCPU   float64           `json:"used_cpu"`
	Memory    int64             `json:"memory"`
	UsedMem   int64             `json:"used_memory"`
	// BySource counts nodes per node source, every source listed.
	BySource map[string]int `json:"by_source"`
}

// RMSample is the number of nodes in each state at one time.
type RMSample struct {
	Time time.Time `json:"time"`
	Free int       `json:"free"`
	Busy int       `json:"busy"`
	Down int       `json:"down"`
}

// RMHistory is the answer to `GET /rm/history?range=1h|1d|1w`.
type RMHistory struct {
	Range   string     `json:"range"`
	Step    Duration   `json:"step"`
	Samples []RMSample `json:"samples"`
}

// TaskRef names one attempt of one task. Every message about a running task
// carries it, so repeats and stale messages can be recognised.
type TaskRef struct {
	TaskID  int64  `json:"task_id"`
	Attempt int    `json:"attempt"`
	JobID   int64  `json:"job_id,omitempty"`
	Task    string `json:"task,omitempty"`
}

// Key identifies the attempt (job id and task name are informative only).
func (r TaskRef) Key() TaskKey { return TaskKey{r.TaskID, r.Attempt} }

// TaskKey is the comparable identity of a task attempt.
type TaskKey struct {
	TaskID  int64
	Attempt int
}
