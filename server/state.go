package server

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
	"github.com/shrike-grid/shrike/store"
)

// jobState is the in-memory index entry of a non-terminal job.
type jobState struct {
	rec   store.JobRecord // Spec is dropped once parsed
	spec  api.JobSpec
	tasks []*taskState
	dag   *scheduler.DAG
}

// taskState is one task of an indexed job.
type taskState struct {
	rec    store.TaskRecord
	job    *jobState
	spec   *api.TaskSpec
	deps   []int
	queued bool
	// inQueue is true while a ready-queue group's slice holds an entry for
	// the task, live (queued) or dead (removed lazily); group is that group.
	inQueue bool
	group   *readyGroup
	// nodes[i] is the node that ran attempt i+1, so that late log chunks
	// and results can be checked against the node that sends them.
	nodes []string
	// unplaced keeps the last cycle's reasons for `job explain`.
	unplaced []scheduler.Reason
	// qt is the task as the scheduler sees it, built once.
	qt scheduler.QueuedTask
	// sel is the task's compiled selection scripts (selectionOf).
	sel *taskSel
	// retryAt is when a failed attempt's retry_delay ends: until then the
	// task is PENDING but kept out of the ready queue (errorpolicy.go).
	retryAt time.Time
	// others are the other nodes of the current attempt of a multi-node
	// task (rec.Node runs it; these hold a slot each for it; a node is
	// named once per slot, and may be rec.Node itself).
	others []string
	// victims are the attempts preempted for this task that may still
	// hold their nodes (multinode.go).
	victims []victim
}

// queue is the job's queue; jobs stored before queues existed have none.
func (j *jobState) queue() string {
	if j.spec.Queue == "" {
		return api.DefaultQueue
	}
	return j.spec.Queue
}

// selecting reports whether the task has selection scripts.
func (t *taskState) selecting() bool { return t.spec != nil && len(t.spec.Selection) > 0 }

func (t *taskState) key() api.TaskKey { return api.TaskKey{TaskID: t.rec.ID, Attempt: t.rec.Attempt} }

func (t *taskState) ref() api.TaskRef {
	return api.TaskRef{TaskID: t.rec.ID, Attempt: t.rec.Attempt, JobID: t.rec.JobID, Task: t.rec.Name}
}

// ranOn reports whether attempt ran on node.
func (t *taskState) ranOn(attempt int, node string) bool {
	return attempt >= 1 && attempt <= len(t.nodes) && t.nodes[attempt-1] == node
}

func (t *taskState) queuedTask() scheduler.QueuedTask { return t.qt }

// newJobState builds the index entry of a job from its records, with the
// DAG transitions its current task states imply.
func newJobState(rec store.JobRecord, tasks []store.TaskRecord) (*jobState, scheduler.Transitions, error) {
	j := &jobState{rec: rec}
	var none scheduler.Transitions
	if err := json.Unmarshal(rec.Spec, &j.spec); err != nil {
		return nil, none, fmt.Errorf("job %d: stored spec: %w", rec.ID, err)
	}
	j.rec.Spec = nil
	if len(tasks) != len(j.spec.Tasks) {
		return nil, none, fmt.Errorf("job %d: %d task rows for %d tasks in its spec", rec.ID, len(tasks), len(j.spec.Tasks))
	}
	index := make(map[string]int, len(j.spec.Tasks))
	for i, ts := range j.spec.Tasks {
		index[ts.Name] = i
	}
	j.tasks = make([]*taskState, len(tasks))
	for _, tr := range tasks {
		if tr.Index < 0 || tr.Index >= len(tasks) || j.tasks[tr.Index] != nil {
			return nil, none, fmt.Errorf("job %d: bad task index %d", rec.ID, tr.Index)
		}
		t := &taskState{rec: tr, job: j, spec: &j.spec.Tasks[tr.Index]}
		t.qt = scheduler.QueuedTask{
			TaskID: tr.ID, JobID: tr.JobID, Index: tr.Index, Name: tr.Name,
			Priority: j.spec.Priority, MilliCPU: t.spec.Resources.MilliCPU(), Memory: int64(t.spec.Resources.Memory),
			Token: t.spec.NodeToken, User: rec.Owner,
			Queue: j.queue(), Walltime: time.Duration(t.spec.Walltime),
			Nodes: t.spec.Nodes, DistinctHosts: t.spec.DistinctHosts,
		}
		for _, d := range t.spec.DependsOn {
			t.deps = append(t.deps, index[d])
		}
		if tr.Attempt > 0 {
			t.nodes = make([]string, tr.Attempt)
			t.nodes[tr.Attempt-1] = tr.Node
		}
		j.tasks[tr.Index] = t
	}
	deps := make([][]int, len(j.tasks))
	states := make([]api.TaskState, len(j.tasks))
	for i, t := range j.tasks {
		deps[i], states[i] = t.deps, api.TaskState(t.rec.State)
	}
	var trans scheduler.Transitions
	j.dag, trans = scheduler.NewDAG(deps, states)
	return j, trans, nil
}

// timePtr returns a pointer to a copy of t.
func timePtr(t time.Time) *time.Time { return &t }
