package scheduler

import (
	"reflect"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// The DAG vocabulary: a job is its edges plus one letter per task state.
//
//	P pending  Q pending and queued  R running
//	F finished X failed  S skipped  K killed

// diamondDeps is A → B, C → D: B and C depend on A, D on B and C.
var diamondDeps = [][]int{nil, {0}, {0}, {1, 2}}

var stateLetters = map[byte]api.TaskState{
	'P': api.TaskPending, 'Q': api.TaskPending, 'R': api.TaskRunning,
	'F': api.TaskFinished, 'X': api.TaskFailed, 'S': api.TaskSkipped, 'K': api.TaskKilled,
	'E': api.TaskInError,
}

// views builds a job's task views from its edges and state letters.
func views(deps [][]int, states string) []TaskView {
	out := make([]TaskView, len(states))
	for i := range out {
		out[i] = TaskView{State: stateLetters[states[i]], DependsOn: deps[i], Queued: states[i] == 'Q'}
	}
	return out
}

func TestReconcile(t *testing.T) {
	chainAndLone := [][]int{nil, {0}, nil} // 0 → 1, and 2 alone
	tests := []struct {
		name   string
		deps   [][]int
		states string
		want   Transitions
	}{
		{"nothing started", diamondDeps, "PPPP", Transitions{Ready: []int{0}, JobState: api.JobPending}},
		{"root queued", diamondDeps, "QPPP", Transitions{JobState: api.JobPending}},
		{"root running", diamondDeps, "RPPP", Transitions{JobState: api.JobRunning}},
		{"root finished", diamondDeps, "FPPP", Transitions{Ready: []int{1, 2}, JobState: api.JobRunning}},
		{"middle queued", diamondDeps, "FQQP", Transitions{JobState: api.JobRunning}},
		{"one middle left", diamondDeps, "FFRP", Transitions{JobState: api.JobRunning}},
		{"join ready", diamondDeps, "FFFP", Transitions{Ready: []int{3}, JobState: api.JobRunning}},
		{"all finished", diamondDeps, "FFFF", Transitions{JobState: api.JobFinished}},
		{"B failed, C runs", diamondDeps, "FXRP", Transitions{Skip: []int{3}, JobState: api.JobRunning}},
		{"B failed, C finished", diamondDeps, "FXFP", Transitions{Skip: []int{3}, JobState: api.JobFailed}},
		{"root failed skips all", diamondDeps, "XPPP", Transitions{Skip: []int{1, 2, 3}, JobState: api.JobFailed}},
		{"root killed", diamondDeps, "KPPP", Transitions{Skip: []int{1, 2, 3}, JobState: api.JobKilled}},
		{"a middle killed", diamondDeps, "FKFP", Transitions{Skip: []int{3}, JobState: api.JobKilled}},
		{"failed wins over killed", diamondDeps, "FXKP", Transitions{Skip: []int{3}, JobState: api.JobFailed}},
		{"skipped alone counts as finished", diamondDeps, "FSFP", Transitions{Skip: []int{3}, JobState: api.JobFinished}},
		{"already skipped", diamondDeps, "XSSS", Transitions{JobState: api.JobFailed}},
		{"other branch goes on", chainAndLone, "XPP", Transitions{Ready: []int{2}, Skip: []int{1}, JobState: api.JobRunning}},
		{"skips only pending tasks", chainAndLone, "XRP", Transitions{Ready: []int{2}, JobState: api.JobRunning}},
		{"bad indexes are ignored", [][]int{{-1, 7}}, "P", Transitions{Ready: []int{0}, JobState: api.JobPending}},
		{"in error holds its dependents", diamondDeps, "FEFP", Transitions{JobState: api.JobRunning}},
		{"in error alone keeps the job running", chainAndLone, "EPF", Transitions{JobState: api.JobRunning}},
		{"dependencies later in the list", [][]int{{2}, {0}, nil}, "PPX", Transitions{Skip: []int{0, 1}, JobState: api.JobFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Reconcile(views(tt.deps, tt.states)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Reconcile(%s) = %+v, want %+v", tt.states, got, tt.want)
			}
		})
	}
}

// TestReconcileSequence drives the diamond through a whole run: every
// ready task is queued, then runs, then ends as the script says; the
// ready sets and job states must follow.
func TestReconcileSequence(t *testing.T) {
	type step struct {
		end   map[int]api.TaskState // how the running tasks end before this step
		ready []int
		skip  []int
		job   api.JobState
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"all succeed", []step{
			{nil, []int{0}, nil, api.JobPending},
			{map[int]api.TaskState{0: api.TaskFinished}, []int{1, 2}, nil, api.JobRunning},
			{map[int]api.TaskState{1: api.TaskFinished, 2: api.TaskFinished}, []int{3}, nil, api.JobRunning},
			{map[int]api.TaskState{3: api.TaskFinished}, nil, nil, api.JobFinished},
		}},
		{"B fails while C runs on", []step{
			{nil, []int{0}, nil, api.JobPending},
			{map[int]api.TaskState{0: api.TaskFinished}, []int{1, 2}, nil, api.JobRunning},
			{map[int]api.TaskState{1: api.TaskFailed}, nil, []int{3}, api.JobRunning},
			{map[int]api.TaskState{2: api.TaskFinished}, nil, nil, api.JobFailed},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tasks := views(diamondDeps, "PPPP")
			for i, s := range tt.steps {
				for k, st := range s.end {
					tasks[k].State = st
				}
				tr := Reconcile(tasks)
				if !reflect.DeepEqual(tr.Ready, s.ready) || !reflect.DeepEqual(tr.Skip, s.skip) || tr.JobState != s.job {
					t.Fatalf("step %d: got ready %v skip %v job %s, want ready %v skip %v job %s",
						i, tr.Ready, tr.Skip, tr.JobState, s.ready, s.skip, s.job)
				}
				for _, k := range tr.Ready { // queued, then started at once
					tasks[k].State = api.TaskRunning
				}
				for _, k := range tr.Skip {
					tasks[k].State = api.TaskSkipped
				}
			}
		})
	}
}
