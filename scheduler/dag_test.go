package scheduler

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// TestDAGMatchesReconcile drives random DAGs through random state changes
// and checks, after each change, that the incremental tracker agrees with
// the full Reconcile: same skips, same job state, and every task Reconcile
// calls ready was reported ready by the tracker at some point and is
// still PENDING.
func TestDAGMatchesReconcile(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	states := []api.TaskState{api.TaskPending, api.TaskRunning, api.TaskFinished, api.TaskFailed, api.TaskKilled, api.TaskInError}
	for trial := range 500 {
		n := 1 + rng.IntN(12)
		deps := make([][]int, n)
		for i := 1; i < n; i++ {
			for p := range i {
				if rng.IntN(3) == 0 {
					deps[i] = append(deps[i], p)
				}
			}
		}
		cur := make([]api.TaskState, n)
		for i := range cur {
			cur[i] = api.TaskPending
		}
		d, tr := NewDAG(deps, cur)
		readySeen := map[int]bool{}
		note := func(tr Transitions) {
			for _, i := range tr.Ready {
				readySeen[i] = true
			}
			for _, i := range tr.Skip {
				cur[i] = api.TaskSkipped
			}
		}
		note(tr)
		for step := range 20 {
			i := rng.IntN(n)
			if cur[i] == api.TaskSkipped {
				continue
			}
			s := states[rng.IntN(len(states))]
			if s == api.TaskRunning || s == api.TaskPending {
				readySeen[i] = false
			}
			cur[i] = s
			got := d.Set(i, s)
			note(got)
			views := make([]TaskView, n)
			for k := range n {
				views[k] = TaskView{State: cur[k], DependsOn: deps[k], Queued: readySeen[k]}
			}
			want := Reconcile(views)
			if len(want.Skip) != 0 {
				t.Fatalf("trial %d step %d: Reconcile still skips %v after the tracker's skips", trial, step, want.Skip)
			}
			if got.JobState != want.JobState {
				t.Fatalf("trial %d step %d: job state %s, Reconcile says %s", trial, step, got.JobState, want.JobState)
			}
			if len(want.Ready) != 0 {
				t.Fatalf("trial %d step %d: tasks %v ready but never reported", trial, step, want.Ready)
			}
			for k := range n {
				if d.State(k) != cur[k] {
					t.Fatalf("trial %d step %d: task %d tracked as %s, is %s", trial, step, k, d.State(k), cur[k])
				}
			}
		}
	}
}

func TestDAGDiamond(t *testing.T) {
	deps := [][]int{nil, {0}, {0}, {1, 2}}
	d, tr := NewDAG(deps, []api.TaskState{api.TaskPending, api.TaskPending, api.TaskPending, api.TaskPending})
	if !slices.Equal(tr.Ready, []int{0}) || tr.JobState != api.JobPending {
		t.Fatalf("initial %+v", tr)
	}
	d.Set(0, api.TaskRunning)
	if tr = d.Set(0, api.TaskFinished); !slices.Equal(tr.Ready, []int{1, 2}) || tr.JobState != api.JobRunning {
		t.Fatalf("after A: %+v", tr)
	}
	d.Set(1, api.TaskRunning)
	if tr = d.Set(2, api.TaskFailed); !slices.Equal(tr.Skip, []int{3}) || tr.JobState != api.JobRunning {
		t.Fatalf("after C failed: %+v", tr)
	}
	if tr = d.Set(1, api.TaskFinished); len(tr.Ready) != 0 || tr.JobState != api.JobFailed {
		t.Fatalf("after B: %+v", tr)
	}
}

func TestDAGRetryIsReadyAgain(t *testing.T) {
	d, _ := NewDAG([][]int{nil, {0}}, []api.TaskState{api.TaskRunning, api.TaskPending})
	if tr := d.Set(0, api.TaskPending); !slices.Equal(tr.Ready, []int{0}) {
		t.Fatalf("a retried task is not ready again: %+v", tr)
	}
}

func BenchmarkDAGChain(b *testing.B) {
	const n = 10000
	deps := make([][]int, n)
	states := make([]api.TaskState, n)
	for i := range n {
		states[i] = api.TaskPending
	}
	for b.Loop() {
		d, _ := NewDAG(deps, states)
		for i := range n {
			d.Set(i, api.TaskRunning)
			d.Set(i, api.TaskFinished)
		}
	}
}
