package sim

import (
	"slices"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
)

// submit creates a job from its spec and queues its ready tasks.
func (e *Engine) submit(js JobSpec) {
	j := &job{id: int64(len(e.jobs) + 1), user: js.User, queue: js.Queue, priority: api.PriorityNormal, state: api.JobPending}
	if j.user == "" {
		j.user = "user"
	}
	if j.queue == "" {
		j.queue = api.DefaultQueue
	}
	if js.Priority != "" {
		j.priority, _ = api.ParsePriority(js.Priority) // checked by Validate
	}
	e.jobs = append(e.jobs, j)
	// Each task spec becomes one task, or Replicate instances; a task that
	// depends on a replicated one waits for all of its instances.
	indexes := map[string][]int{}
	var deps [][]int
	for _, ts := range js.Tasks {
		sp := resolve(ts)
		for k := range max(1, ts.Replicate) {
			t := &task{id: int64(len(e.tasks) + 1), job: j, spec: sp, index: int32(len(j.tasks)), replica: -1}
			if ts.Replicate > 0 {
				t.replica = int32(k)
			}
			indexes[ts.Name] = append(indexes[ts.Name], len(j.tasks))
			j.tasks = append(j.tasks, t)
			e.tasks = append(e.tasks, t)
		}
	}
	for _, t := range j.tasks {
		if t.spec.deps == nil {
			for _, name := range t.spec.dependsOn {
				t.spec.deps = append(t.spec.deps, indexes[name]...)
			}
		}
		deps = append(deps, t.spec.deps)
	}
	states := make([]api.TaskState, len(j.tasks))
	for i := range states {
		states[i] = api.TaskPending
	}
	var tr scheduler.Transitions
	j.dag, tr = scheduler.NewDAG(deps, states)
	if e.Log != nil {
		e.logf("job %d submitted by %s to queue %s at priority %s: %s", j.id, j.user, j.queue, j.priority, plural(len(j.tasks), "task"))
	}
	e.transitions(j, tr, "")
}

// resolve turns a task spec into its needs.
func resolve(ts TaskSpec) *spec {
	cpu := 1.0
	if ts.CPU != nil {
		cpu = *ts.CPU
	}
	return &spec{name: ts.Name, dependsOn: ts.DependsOn, milliCPU: milli(cpu), memory: int64(ts.Memory), duration: time.Duration(ts.Duration),
		walltime: time.Duration(ts.Walltime), nodes: max(1, ts.Nodes), distinctHosts: ts.DistinctHosts, token: ts.Token,
		fail: ts.Fail, maxAttempts: max(1, ts.MaxAttempts), retryDelay: time.Duration(ts.RetryDelay)}
}

// transitions applies what the job's DAG decided: ready tasks join the
// pending groups, skipped ones are logged, and the job's end is logged.
func (e *Engine) transitions(j *job, tr scheduler.Transitions, cause string) {
	for _, i := range tr.Ready {
		e.pending.push(j.tasks[i])
	}
	for _, i := range tr.Skip {
		e.stats.Skipped++
		e.taskf(j.tasks[i], "skipped: a task it depends on did not finish%s", cause)
	}
	if tr.JobState != j.state {
		j.state = tr.JobState
		switch j.state {
		case api.JobFinished, api.JobFailed, api.JobKilled:
			if e.Log != nil {
				e.logf("job %d %s", j.id, strings.ToLower(string(j.state)))
			}
		}
	}
}

// start starts a, whose task and nodes are set: the task's resources are
// taken on its nodes and its end is scheduled (after its duration, or its
// walltime if that is shorter).
func (e *Engine) start(a *attempt) {
	t, nodes := a.task, a.nodes
	e.pending.remove(t)
	for _, n := range nodes {
		n.freeCPU -= t.spec.milliCPU
		n.freeMem -= t.spec.memory
		n.freeSlot--
	}
	a.start, a.pos = e.now, len(e.running)
	t.att = a
	t.waiting = ""
	e.running = append(e.running, a)
	names := nodes[0].self // shared, read only: no allocation for one node
	if len(nodes) > 1 {
		names = make([]string, len(nodes))
		for i, n := range nodes {
			names[i] = n.name
		}
	}
	r := scheduler.Running{TaskID: t.id, JobID: t.job.id, Queue: t.job.queue, User: t.job.user, Priority: t.job.priority,
		MilliCPU: t.spec.milliCPU, Memory: t.spec.memory, Nodes: names, Start: Epoch.Add(e.now)}
	if t.spec.walltime > 0 {
		r.End = r.Start.Add(t.spec.walltime)
	}
	e.runs = append(e.runs, r)
	runFor := t.spec.duration
	if t.spec.walltime > 0 && t.spec.walltime < runFor {
		runFor = t.spec.walltime
	}
	e.push(event{at: e.now + runFor, kind: evEnd, attempt: a})
	if t.job.state == api.JobPending {
		t.job.state = api.JobRunning
	}
	e.stats.Placements++
	if e.Log != nil {
		e.taskf(t, "started on %s (queue %s, user %s)", strings.Join(names, "+"), t.job.queue, t.job.user)
	}
}

// stop takes a from the running attempts, frees its nodes and charges its
// usage to fair share.
func (e *Engine) stop(a *attempt) {
	a.over = true
	t := a.task
	t.att = nil
	for _, n := range a.nodes {
		n.freeCPU += t.spec.milliCPU
		n.freeMem += t.spec.memory
		n.freeSlot++
	}
	last := len(e.running) - 1
	e.running[a.pos], e.runs[a.pos] = e.running[last], e.runs[last]
	e.running[a.pos].pos = a.pos
	e.running, e.runs = e.running[:last], e.runs[:last]
	cpuSeconds := float64(t.spec.milliCPU) / 1000 * float64(len(a.nodes)) * (e.now - a.start).Seconds()
	e.fair.Charge(t.job.queue, t.job.user, cpuSeconds, Epoch.Add(e.now))
}

// end is an attempt's natural end: it succeeded, failed (its attempt is
// in the spec's fail list) or ran out of walltime.
func (e *Engine) end(a *attempt) {
	e.stop(a)
	t := a.task
	t.attempts++
	outcome := api.OutcomeSucceeded
	switch {
	case t.spec.walltime > 0 && t.spec.duration > t.spec.walltime:
		outcome = api.OutcomeWalltime
	case slices.Contains(t.spec.fail, int(t.attempts)):
		outcome = api.OutcomeFailed
	}
	exit := 0
	if outcome == api.OutcomeFailed {
		exit = 1
	}
	d := scheduler.Retry(scheduler.Attempt{Outcome: outcome, Failures: int(t.failures), MaxAttempts: t.spec.maxAttempts,
		ExitCode: exit, RetryDelay: t.spec.retryDelay})
	t.failures = int32(d.Failures)
	switch d.State {
	case api.TaskFinished:
		e.stats.Finished++
		e.taskf(t, "finished on %s", a.nodes[0].name)
	case api.TaskPending:
		e.taskf(t, "failed on %s: %s", a.nodes[0].name, d.Reason)
		if d.Delay > 0 {
			e.push(event{at: e.now + d.Delay, kind: evRequeue, task: t})
		} else {
			e.pending.push(t)
		}
		return // the DAG sees the task as pending all along
	default:
		e.stats.Failed++
		e.taskf(t, "failed on %s: %s", a.nodes[0].name, d.Reason)
	}
	e.transitions(t.job, t.job.dag.Set(int(t.index), d.State), "")
}

// preempt stops a running attempt and re-queues its task; the attempt
// does not count against the task.
func (e *Engine) preempt(a *attempt, reason string) {
	e.stop(a)
	e.stats.Preemptions++
	e.taskf(a.task, "preempted on %s after %s and re-queued: %s", a.nodes[0].name, Clock(e.now-a.start), reason)
	e.pending.push(a.task)
}
