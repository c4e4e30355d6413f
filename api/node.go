package api

import "time"

// NodeState is the resource manager's view of a node.
type NodeState string

// Node states. FREE: alive with room for more work; BUSY: alive and full;
// DOWN: missed its heartbeats (it may come back).
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
