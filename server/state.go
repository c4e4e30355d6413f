package server

import (
	"cmp"
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
	// starts[k] is the index of spec task k's first task (arrays.go);
	// barriers how many array barriers follow the tasks in the DAG.
	starts   []int
	barriers int
	// waitJobs are the jobs of its depends_on_jobs that have not FINISHED
	// yet (jobdeps.go).
	waitJobs []int64
}

// taskState is one task of an indexed job. An array's instances share
// their spec (and deps); keep it small, a job may hold 100,000 of them.
type taskState struct {
	rec    store.TaskRecord
	job    *jobState
	spec   *api.TaskSpec
	deps   []int // the tasks it depends on, every instance of an array
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
	// feeds is set when other tasks of the job depend on this one.
	feeds bool
	// hasResult says the task's finished attempt left a result; result
	// holds it while it may be needed without a store read (results.go).
	hasResult bool
	result    json.RawMessage
	// waitLogged is the waiting reasons last written to the job's server
	// log, so that a line is written only when they change (serverlog.go).
	waitLogged []scheduler.Reason
	// gated is set on a ready task kept out of the queue because its job
	// is held (depends_on_jobs, start_at; jobdeps.go).
	gated bool
	// victims are the attempts preempted for this task that may still
	// hold their nodes (multinode.go).
	victims []victim
}

// queueOf is the queue of a job with spec; jobs stored before queues
// existed name none: api.DefaultQueue.
func queueOf(spec *api.JobSpec) string { return cmp.Or(spec.Queue, api.DefaultQueue) }

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

// newJobState builds the index entry of a job from its records (the rows
// not written yet are rebuilt: fillTasks), with the DAG transitions its
// current task states imply. The task states of one job are allocated
// together, in one slice.
func newJobState(rec store.JobRecord, rows []store.TaskRecord) (*jobState, scheduler.Transitions, error) {
	j := &jobState{rec: rec}
	var none scheduler.Transitions
	if err := json.Unmarshal(rec.Spec, &j.spec); err != nil {
		return nil, none, fmt.Errorf("job %d: stored spec: %w", rec.ID, err)
	}
	j.rec.Spec = nil
	j.starts = layoutOf(&j.spec)
	tasks, err := fillTasks(rec, &j.spec, j.starts, rows)
	if err != nil {
		return nil, none, err
	}
	deps := depIndexes(&j.spec, j.starts)
	j.tasks = make([]*taskState, len(tasks))
	slab := make([]taskState, len(tasks))
	for _, tr := range tasks {
		if tr.Index < 0 || tr.Index >= len(tasks) || j.tasks[tr.Index] != nil {
			return nil, none, fmt.Errorf("job %d: bad task index %d", rec.ID, tr.Index)
		}
		k, _ := j.template(tr.Index)
		t := &slab[tr.Index]
		*t = taskState{rec: tr, job: j, spec: &j.spec.Tasks[k], deps: deps[k]}
		t.qt = scheduler.QueuedTask{
			TaskID: tr.ID, JobID: tr.JobID, Index: tr.Index, Name: tr.Name,
			Priority: j.spec.Priority, MilliCPU: t.spec.Resources.MilliCPU(), Memory: int64(t.spec.Resources.Memory),
			Token: t.spec.NodeToken, User: rec.Owner,
			Queue: queueOf(&j.spec), Walltime: time.Duration(t.spec.Walltime),
			Nodes: t.spec.Nodes, DistinctHosts: t.spec.DistinctHosts,
			AvoidNodes: tr.Avoid,
		}
		if tr.RetryAt != nil && api.TaskState(tr.State) == api.TaskPending {
			t.retryAt = *tr.RetryAt // a restart keeps a failed attempt's retry delay
		}
		if tr.Attempt > 0 {
			t.nodes = make([]string, tr.Attempt)
			t.nodes[tr.Attempt-1] = tr.Node
		}
		j.tasks[tr.Index] = t
	}
	for _, t := range j.tasks {
		for _, d := range t.deps {
			j.tasks[d].feeds = true
		}
	}
	states := make([]api.TaskState, len(j.tasks), len(j.tasks)+len(j.spec.Tasks))
	for i, t := range j.tasks {
		states[i] = api.TaskState(t.rec.State)
	}
	return j, j.newDAG(states), nil
}

// timePtr returns a pointer to a copy of t.
func timePtr(t time.Time) *time.Time { return &t }
