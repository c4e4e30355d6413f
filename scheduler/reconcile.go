package scheduler

import "github.com/shrike-grid/shrike/api"

// Reconcile decides, from the states of a job's tasks, which PENDING tasks
// became ready to queue, which are skipped because a dependency did not
// finish, and the job's state once those skips are applied.
//
// A PENDING task that is not queued yet is Ready when all its dependencies
// FINISHED. A PENDING task is skipped when a dependency FAILED, was
// SKIPPED or KILLED, and so, in the same call, is every PENDING task
// depending on it, transitively. A task with a dependency still PENDING or
// RUNNING is neither. Ready and Skip are in ascending index order;
// dependency indexes out of range are ignored.
func Reconcile(tasks []TaskView) Transitions {
	skip := skipped(tasks)
	var tr Transitions
	for i, t := range tasks {
		switch {
		case skip[i]:
			tr.Skip = append(tr.Skip, i)
		case t.State == api.TaskPending && !t.Queued && depsFinished(tasks, t):
			tr.Ready = append(tr.Ready, i)
		}
	}
	tr.JobState = jobState(tasks, skip)
	return tr
}

// skipped marks the PENDING tasks that can no longer run: those reachable
// from a FAILED, SKIPPED or KILLED task through dependency edges.
func skipped(tasks []TaskView) []bool {
	dependents := make([][]int, len(tasks))
	var queue []int
	for i, t := range tasks {
		for _, d := range t.DependsOn {
			if d >= 0 && d < len(tasks) {
				dependents[d] = append(dependents[d], i)
			}
		}
		if blocks(t.State) {
			queue = append(queue, i)
		}
	}
	skip := make([]bool, len(tasks))
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		for _, i := range dependents[d] {
			if tasks[i].State == api.TaskPending && !skip[i] {
				skip[i] = true
				queue = append(queue, i)
			}
		}
	}
	return skip
}

// blocks reports whether a dependency in state s keeps its dependents from
// ever running.
func blocks(s api.TaskState) bool {
	return s == api.TaskFailed || s == api.TaskSkipped || s == api.TaskKilled
}

// depsFinished reports whether every dependency of t FINISHED.
func depsFinished(tasks []TaskView, t TaskView) bool {
	for _, d := range t.DependsOn {
		if d >= 0 && d < len(tasks) && tasks[d].State != api.TaskFinished {
			return false
		}
	}
	return true
}

// jobState derives the job's state from its tasks' states, with the tasks
// marked in skip counted as SKIPPED. When every task is over: FAILED if
// any failed, else KILLED if any was killed, else FINISHED. Otherwise:
// RUNNING once any task runs or ran (a SKIPPED task never ran; an
// IN_ERROR one ran and is not over), else PENDING.
func jobState(tasks []TaskView, skip []bool) api.JobState {
	over, failed, killed, started := true, false, false, false
	for i, t := range tasks {
		s := t.State
		if skip[i] {
			s = api.TaskSkipped
		}
		over = over && s.Terminal()
		failed = failed || s == api.TaskFailed
		killed = killed || s == api.TaskKilled
		started = started || s == api.TaskRunning || s == api.TaskInError || (s.Terminal() && s != api.TaskSkipped)
	}
	switch {
	case over && failed:
		return api.JobFailed
	case over && killed:
		return api.JobKilled
	case over:
		return api.JobFinished
	case started:
		return api.JobRunning
	}
	return api.JobPending
}
