package scheduler

import "github.com/shrike-grid/shrike/api"

// DAG follows one job's task states incrementally, by the same rules as
// Reconcile, at a cost proportional to what a change touches rather than
// to the size of the job: a job of 10,000 tasks does not rescan 10,000
// tasks each time one of them ends.
type DAG struct {
	dependents [][]int
	states     []api.TaskState
	unfinished []int // per task: dependencies not FINISHED
	blocked    []int // per task: dependencies FAILED, SKIPPED or KILLED
	counts     map[api.TaskState]int
}

// NewDAG builds the tracker from each task's dependency indexes and
// current state, and returns what Reconcile would return for it (with
// every PENDING task taken as not queued). Out-of-range indexes are
// ignored.
func NewDAG(deps [][]int, states []api.TaskState) (*DAG, Transitions) {
	n := len(states)
	d := &DAG{
		dependents: make([][]int, n), states: append([]api.TaskState(nil), states...),
		unfinished: make([]int, n), blocked: make([]int, n), counts: make(map[api.TaskState]int),
	}
	for i := range n {
		d.counts[states[i]]++
		for _, p := range deps[i] {
			if p < 0 || p >= n {
				continue
			}
			d.dependents[p] = append(d.dependents[p], i)
			if states[p] != api.TaskFinished {
				d.unfinished[i]++
			}
			if blocks(states[p]) {
				d.blocked[i]++
			}
		}
	}
	var tr Transitions
	for i := range n {
		if d.states[i] == api.TaskPending && d.blocked[i] > 0 {
			d.skip(i, &tr)
		}
	}
	for i := range n {
		if d.ready(i) {
			tr.Ready = append(tr.Ready, i)
		}
	}
	tr.JobState = d.JobState()
	return d, tr
}

// Set records that task i is now in state s and returns the consequences:
// tasks that became ready (i itself, when it is PENDING again with its
// dependencies met), tasks skipped because of it (already recorded as
// SKIPPED here), and the job's state.
func (d *DAG) Set(i int, s api.TaskState) Transitions {
	var tr Transitions
	d.set(i, s, &tr)
	if s == api.TaskPending && d.blocked[i] > 0 {
		d.skip(i, &tr)
	}
	if d.ready(i) {
		tr.Ready = append(tr.Ready, i)
	}
	tr.JobState = d.JobState()
	return tr
}

// State returns task i's state as the tracker knows it.
func (d *DAG) State(i int) api.TaskState { return d.states[i] }

func (d *DAG) set(i int, s api.TaskState, tr *Transitions) {
	old := d.states[i]
	if old == s {
		return
	}
	d.states[i] = s
	d.counts[old]--
	d.counts[s]++
	dFinished := boolInt(s == api.TaskFinished) - boolInt(old == api.TaskFinished)
	dBlocked := boolInt(blocks(s)) - boolInt(blocks(old))
	for _, c := range d.dependents[i] {
		d.unfinished[c] -= dFinished
		d.blocked[c] += dBlocked
		switch {
		case dBlocked > 0 && d.states[c] == api.TaskPending:
			d.skip(c, tr)
		case dFinished > 0 && d.ready(c):
			tr.Ready = append(tr.Ready, c)
		}
	}
}

// skip marks a PENDING task SKIPPED, which skips its pending dependents.
func (d *DAG) skip(i int, tr *Transitions) {
	if d.states[i] != api.TaskPending {
		return
	}
	tr.Skip = append(tr.Skip, i)
	d.set(i, api.TaskSkipped, tr)
}

func (d *DAG) ready(i int) bool {
	return d.states[i] == api.TaskPending && d.unfinished[i] == 0 && d.blocked[i] == 0
}

// JobState is the job's state by the rules of Reconcile (an IN_ERROR
// task ran and is not over: the job is RUNNING).
func (d *DAG) JobState() api.JobState {
	n := len(d.states)
	terminal := d.counts[api.TaskFinished] + d.counts[api.TaskFailed] + d.counts[api.TaskSkipped] + d.counts[api.TaskKilled]
	over := terminal == n
	switch {
	case over && d.counts[api.TaskFailed] > 0:
		return api.JobFailed
	case over && d.counts[api.TaskKilled] > 0:
		return api.JobKilled
	case over:
		return api.JobFinished
	case d.counts[api.TaskRunning] > 0 || d.counts[api.TaskInError] > 0 || terminal-d.counts[api.TaskSkipped] > 0:
		return api.JobRunning
	}
	return api.JobPending
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
