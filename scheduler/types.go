package scheduler

import (
	"time"

	"github.com/shrike-grid/shrike/api"
)

// Snapshot is everything one scheduling decision may look at. It is built
// by the server under its lock and never changes while Schedule runs.
type Snapshot struct {
	// Now is the decision time; Schedule never reads the clock.
	Now time.Time
	// Queue holds the tasks that are eligible to start (dependencies met,
	// job not paused or killed). Schedule orders it with Less; callers that
	// keep it ordered already pay O(n) for the check.
	Queue []QueuedTask
	// Nodes are the nodes that may receive work, with what is still free.
	Nodes []Node
	// Classes are the selection verdicts of the queued tasks' classes.
	Classes []Class
	// Queues are the configured queues with their current usage; a task
	// whose Queue is not listed is in an unlimited FIFO queue of weight 1.
	Queues []Queue
	// Running are the attempts running now (for backfill reservations,
	// quotas, preemption and fair share).
	Running []Running
	// HalfLife is the fair-share half-life (DefaultHalfLife when 0): it
	// weighs the CPUs running now against past usage (docs/scheduling.md).
	HalfLife time.Duration
}

// Queue is one queue's configuration and its state at snapshot time.
type Queue struct {
	Name string
	// Weight is the queue's share against the other queues at the same
	// priority (default 1).
	Weight float64
	// Backfill lets smaller tasks pass a blocked head task as long as
	// they do not delay its reservation; without it the queue is strict
	// FIFO (a task blocked for lack of resources blocks the queue).
	Backfill bool
	// Preemption lets a pending task of this queue that cannot be placed
	// preempt running tasks of lower priority in the same queue.
	Preemption bool
	// Quotas; 0 means no limit. MilliCPU limits count CPUs in thousandths.
	MaxRunning         int
	MaxMilliCPU        int64
	MaxRunningPerUser  int
	MaxMilliCPUPerUser int64
	// Usage is the queue's decayed usage and UserUsage each user's in it
	// (see FairShare); they order the queues and users at equal priority.
	Usage     float64
	UserUsage map[string]float64
}

// Running is one attempt running now, as the scheduler sees it.
type Running struct {
	TaskID   int64
	JobID    int64
	Queue    string
	User     string
	Priority api.Priority
	MilliCPU int64
	Memory   int64
	// Nodes are the nodes it occupies: one slot, MilliCPU and Memory on
	// each (Nodes[0] runs it; more for a multi-node task).
	Nodes []string
	// Start is when it was placed; End when its walltime runs out (zero:
	// no walltime, it may run for ever).
	Start time.Time
	End   time.Time
}

// QueuedTask is one eligible task attempt waiting for a node.
type QueuedTask struct {
	TaskID   int64
	JobID    int64 // submission order: lower IDs were submitted first
	Index    int   // position in the job document
	Name     string
	Priority api.Priority
	MilliCPU int64
	Memory   int64
	// Token is the node token the task requests ("" for none).
	Token string
	// User and Groups are the job owner's, for node-source access rights.
	User   string
	Groups []string
	// Class is 1 + the index in Snapshot.Classes of the task's selection
	// scripts' verdicts; 0 when it has none.
	Class int
	// AvoidNodes are the nodes the task may not use: it failed there and
	// asked to be retried elsewhere (retry_elsewhere).
	AvoidNodes []string
	// Queue is the job's queue ("" for api.DefaultQueue).
	Queue string
	// Walltime is the task's walltime (0: none), for backfill.
	Walltime time.Duration
	// Nodes is how many nodes the task needs at once (0 or 1: one), each
	// with MilliCPU and Memory free; DistinctHosts puts them on different
	// hosts (Node.Host).
	Nodes         int
	DistinctHosts bool
	// Preempting is set by the server while running tasks preempted for
	// this one are still stopping: it does not preempt again meanwhile.
	Preempting bool
}

// Class holds, for a group of tasks with the same selection scripts, the
// verdicts on each node: Rejects[i] is "" when the scripts select
// Snapshot.Nodes[i], else why not ("gpu.lua returned false"). The server
// computes them (from cached static verdicts and the dynamic ones it has)
// before it calls Schedule.
type Class struct {
	Rejects []string
}

// Node is a node's free capacity at snapshot time.
type Node struct {
	Name     string
	MilliCPU int64 // free CPU in thousandths of a core
	Memory   int64 // free reservable memory in bytes
	Slots    int   // free task slots
	// Down, Locked or Draining nodes get no new work; they are listed so
	// that Explain can count them.
	Unavailable string // "" if the node accepts work, else why not ("down")
	// Tokens are the node tokens the node carries: it runs only tasks
	// that request one of them. A task that requests a token runs only
	// on nodes that carry it.
	Tokens []string
	// Access lists who may use the node ("*", "user:NAME",
	// "group:NAME"); empty means everyone.
	Access []string
	// Host is the machine the node runs on (its facts' hostname; nodes
	// of one machine share it), for distinct_hosts.
	Host string
}

// Plan is the decision: where to start which task, and why the rest did
// not start. The server's plan applier re-checks each placement against the
// current state before it commits it.
type Plan struct {
	Placements []Placement
	// Preemptions are running attempts to stop and re-queue (not failed)
	// so that a higher-priority task can start.
	Preemptions []Preemption
	// Unplaced lists, for each queued task that got no node, the reasons
	// counted across nodes. Tasks not examined this cycle (everything was
	// full) are listed with the single reason "no free node".
	Unplaced []Unplaced
}

// Placement starts TaskID on Node; a multi-node task also holds a slot
// (with its MilliCPU and Memory) on each of Others.
type Placement struct {
	TaskID int64
	Node   string
	Others []string
}

// Preemption stops running TaskID so that pending For can start; Reason
// goes into the victim's events ("preempted by job 12 task render
// (priority high, queue short)").
type Preemption struct {
	TaskID int64
	For    int64
	Reason string
}

// Unplaced explains why a task got no node.
type Unplaced struct {
	TaskID  int64
	Reasons []Reason
}

// Reason is one rejection reason and how many nodes gave it, for example
// {Count: 12, Message: "not enough memory (needs 8GiB, most free 4GiB)"}.
type Reason struct {
	Count   int    `json:"count"`
	Message string `json:"message"`
}

// JoinReasons writes reasons on one line, like api.JoinReasons: "3 nodes:
// not enough memory; 1 node: locked".
func JoinReasons(rs []Reason) string {
	out := make([]api.Reason, len(rs))
	for i, r := range rs {
		out[i] = api.Reason(r)
	}
	return api.JoinReasons(out)
}

// DAG and retry reconciliation, also pure.

// TaskView is what Reconcile needs to know about one task of a job.
type TaskView struct {
	State     api.TaskState
	DependsOn []int // indexes of the tasks it depends on
	// Queued is true when the task is PENDING and already in the ready queue.
	Queued bool
}

// Transitions is what Reconcile decided for one job.
type Transitions struct {
	// Ready are PENDING, not yet queued tasks whose dependencies all FINISHED.
	Ready []int
	// Skip are PENDING tasks with a dependency that FAILED, was SKIPPED or
	// KILLED; they become SKIPPED.
	Skip []int
	// JobState is the job's state once Skip is applied.
	JobState api.JobState
}

// Attempt is what Retry needs to know about the attempt that just ended.
type Attempt struct {
	Outcome     api.Outcome // or "" with NodeLost
	NodeLost    bool        // the node went DOWN with the task on it
	Failures    int         // failures counted before this attempt
	NodeLosses  int         // node losses counted before this attempt
	MaxAttempts int
	// ExitCode and Error are the node's report (api.TaskResult), used to
	// explain the decision ("exit code 3; retrying (attempt 2 of 3)").
	ExitCode int
	Error    string
	// RetryDelay is how long a failed attempt waits before the task is
	// queued again; with ExponentialBackoff it doubles with each failure
	// (RetryDelay × 2^(failures-1)), capped at MaxRetryDelay.
	RetryDelay         time.Duration
	ExponentialBackoff bool
}

// RetryDecision is the state a task moves to after an attempt ends.
type RetryDecision struct {
	State      api.TaskState // PENDING when it will run again
	Failures   int           // updated counters
	NodeLosses int
	Reason     string // human text for events and the task's error field
	// Delay is how long a PENDING task waits before it is queued again
	// (0: at once). Node losses are retried at once.
	Delay time.Duration
}
