package server

import (
	"fmt"
	"sort"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
	"github.com/shrike-grid/shrike/store"
)

// Arrays (TaskSpec.Replicate). A job's spec keeps one TaskSpec per array,
// never its instances; the index expands it: spec task k stands for the
// tasks starts[k] to starts[k+1]-1 of the job (one for a plain task,
// Replicate.Count for an array), named NAME[i] for an array, all sharing
// the spec task's *api.TaskSpec.
//
// Dependencies go through one barrier per array that others depend on: a
// node of the job's DAG after its real tasks, which depends on all the
// array's instances and on which every dependent of the array depends. So
// an array of 100,000 depending on another of 100,000 costs 200,000 edges,
// not 10^10. A barrier that becomes ready is set FINISHED at once (settle);
// one that is skipped (an instance did not finish) skips the array's
// dependents. Barriers never reach the queue, the views or the store, and
// they do not change the job's state: a barrier is over exactly when the
// instances behind it are.
//
// Task rows of instances are written on their first change (placement,
// skip, kill), not at submission: a PENDING instance is fully described by
// the spec, and newJobState rebuilds the missing rows (store.JobRecord).

// layoutOf returns the first expanded index of each spec task, and the
// total number of tasks at the end.
func layoutOf(spec *api.JobSpec) []int {
	starts := make([]int, len(spec.Tasks)+1)
	for k := range spec.Tasks {
		starts[k+1] = starts[k] + spec.Tasks[k].Instances()
	}
	return starts
}

// template returns the spec task of the job's task e and, for an array
// instance, its replica index (-1 for a plain task).
func (j *jobState) template(e int) (k, replica int) {
	k = sort.SearchInts(j.starts, e+1) - 1
	if j.spec.Tasks[k].Replicate == nil {
		return k, -1
	}
	return k, e - j.starts[k]
}

// taskName is the name of the job's task e.
func (j *jobState) taskName(e int) string {
	k, r := j.template(e)
	if r < 0 {
		return j.spec.Tasks[k].Name
	}
	return api.InstanceName(j.spec.Tasks[k].Name, r)
}

// replicaEnv adds SHRIKE_REPLICA and SHRIKE_REPLICA_INDEX to an array
// instance's environment.
func (j *jobState) replicaEnv(e int, env map[string]string) {
	k, r := j.template(e)
	if r < 0 {
		return
	}
	env["SHRIKE_REPLICA"] = j.spec.Tasks[k].Replicate.Value(r)
	env["SHRIKE_REPLICA_INDEX"] = fmt.Sprint(r)
}

// replica returns the SHRIKE_REPLICA of the job's task e ("" for a plain
// task).
func (j *jobState) replica(e int) string {
	k, r := j.template(e)
	if r < 0 {
		return ""
	}
	return j.spec.Tasks[k].Replicate.Value(r)
}

// specIndex maps the names of spec's tasks to their indexes in it.
func specIndex(spec *api.JobSpec) map[string]int {
	byName := make(map[string]int, len(spec.Tasks))
	for k := range spec.Tasks {
		byName[spec.Tasks[k].Name] = k
	}
	return byName
}

// depIndexes returns, per spec task, the expanded indexes of the tasks it
// depends on (every instance of an array). The instances of one spec task
// share their slice.
func depIndexes(spec *api.JobSpec, starts []int) [][]int {
	byName := specIndex(spec)
	out := make([][]int, len(spec.Tasks))
	for k := range spec.Tasks {
		for _, d := range spec.Tasks[k].DependsOn {
			dk, ok := byName[d]
			if !ok {
				continue
			}
			for e := starts[dk]; e < starts[dk+1]; e++ {
				out[k] = append(out[k], e)
			}
		}
	}
	return out
}

// dagDeps returns the dependencies of the job's DAG: its tasks' (with an
// array's dependents depending on its barrier), then the barriers', and
// how many barriers there are.
func (j *jobState) dagDeps() ([][]int, int) {
	spec, n := &j.spec, len(j.tasks)
	byName := specIndex(spec)
	barrier := map[int]int{} // spec task → DAG index of its barrier
	var arrays []int
	perSpec := make([][]int, len(spec.Tasks))
	for k := range spec.Tasks {
		for _, d := range spec.Tasks[k].DependsOn {
			dk, ok := byName[d]
			switch {
			case !ok:
			case spec.Tasks[dk].Replicate == nil:
				perSpec[k] = append(perSpec[k], j.starts[dk])
			default:
				b, seen := barrier[dk]
				if !seen {
					b = n + len(arrays)
					barrier[dk] = b
					arrays = append(arrays, dk)
				}
				perSpec[k] = append(perSpec[k], b)
			}
		}
	}
	deps := make([][]int, n, n+len(arrays))
	for k := range spec.Tasks {
		for e := j.starts[k]; e < j.starts[k+1]; e++ {
			deps[e] = perSpec[k]
		}
	}
	for _, dk := range arrays {
		all := make([]int, 0, j.starts[dk+1]-j.starts[dk])
		for e := j.starts[dk]; e < j.starts[dk+1]; e++ {
			all = append(all, e)
		}
		deps = append(deps, all)
	}
	return deps, len(arrays)
}

// newDAG builds the job's DAG from states (one per task; the barriers
// start PENDING) and returns the settled transitions.
func (j *jobState) newDAG(states []api.TaskState) scheduler.Transitions {
	deps, barriers := j.dagDeps()
	for range barriers {
		states = append(states, api.TaskPending)
	}
	var tr scheduler.Transitions
	j.dag, tr = scheduler.NewDAG(deps, states)
	j.barriers = barriers
	return j.settle(tr)
}

// settle resolves the barriers in tr: one that became ready is set
// FINISHED (which may make the array's dependents ready), one that was
// skipped is dropped (its dependents are skipped with it). What is left
// names real tasks only.
func (j *jobState) settle(tr scheduler.Transitions) scheduler.Transitions {
	n := len(j.tasks)
	if j.barriers == 0 {
		return tr
	}
	out := scheduler.Transitions{JobState: tr.JobState}
	pending := tr.Ready
	skip := tr.Skip
	for {
		for _, i := range skip {
			if i < n {
				out.Skip = append(out.Skip, i)
			}
		}
		skip = nil
		if len(pending) == 0 {
			return out
		}
		i := pending[0]
		pending = pending[1:]
		if i < n {
			out.Ready = append(out.Ready, i)
			continue
		}
		more := j.dag.Set(i, api.TaskFinished)
		pending = append(pending, more.Ready...)
		skip = more.Skip
		out.JobState = more.JobState
	}
}

// fillTasks returns the job's task records by index: the rows the store
// has, and fresh PENDING ones for the tasks whose row is not written yet
// (their IDs follow from rec.FirstTaskID). Without FirstTaskID (a record
// built by hand) every row must be there.
func fillTasks(rec store.JobRecord, spec *api.JobSpec, starts []int, rows []store.TaskRecord) ([]store.TaskRecord, error) {
	n := starts[len(starts)-1]
	if rec.TaskCount != 0 && rec.TaskCount != n {
		return nil, fmt.Errorf("job %d: holds %d task IDs for %d tasks in its spec", rec.ID, rec.TaskCount, n)
	}
	if len(rows) == n {
		return rows, nil // all written, by index (LoadActive and GetJob order them)
	}
	if rec.FirstTaskID == 0 || len(rows) > n {
		return nil, fmt.Errorf("job %d: %d task rows for %d tasks in its spec", rec.ID, len(rows), n)
	}
	out := make([]store.TaskRecord, n)
	have := make([]bool, n)
	for _, tr := range rows {
		if tr.Index < 0 || tr.Index >= n || have[tr.Index] {
			return nil, fmt.Errorf("job %d: bad task index %d", rec.ID, tr.Index)
		}
		out[tr.Index], have[tr.Index] = tr, true
	}
	for k := range spec.Tasks {
		for e := starts[k]; e < starts[k+1]; e++ {
			if have[e] {
				continue
			}
			name := spec.Tasks[k].Name
			if spec.Tasks[k].Replicate != nil {
				name = api.InstanceName(name, e-starts[k])
			}
			out[e] = store.TaskRecord{ID: rec.FirstTaskID + int64(e), JobID: rec.ID, Index: e, Name: name, State: string(api.TaskPending)}
		}
	}
	return out, nil
}

// checkArrays checks the arrays of a spec that did not come through the
// parser (which reports the same problems with lines) and returns how many
// tasks the job expands to.
func checkArrays(spec *api.JobSpec) (int, error) {
	var errs []api.FieldError
	total := 0
	for i := range spec.Tasks {
		r := spec.Tasks[i].Replicate
		field := fmt.Sprintf("tasks[%d].replicate", i)
		switch {
		case r == nil:
		case r.Count < 1 || r.Count > api.MaxReplicas:
			errs = append(errs, api.FieldError{Field: field + ".count", Message: fmt.Sprintf("must be 1 to %d instances, got %d", api.MaxReplicas, r.Count)})
		case len(r.Values) > 0 && len(r.Values) != r.Count:
			errs = append(errs, api.FieldError{Field: field + ".count", Message: fmt.Sprintf("is %d but values lists %d", r.Count, len(r.Values))})
		case len(r.Values) == 0 && r.Step == 0:
			errs = append(errs, api.FieldError{Field: field + ".step", Message: "must not be 0"})
		}
		total += spec.Tasks[i].Instances()
	}
	if total > api.MaxJobInstances {
		errs = append(errs, api.FieldError{Field: "tasks", Message: fmt.Sprintf("too many task instances (%d with the arrays' replicas, at most %d)", total, api.MaxJobInstances)})
	}
	if len(errs) > 0 {
		return 0, api.Invalid(errs)
	}
	return total, nil
}
