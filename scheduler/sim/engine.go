package sim

import (
	"cmp"
	"container/heap"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scheduler"
)

// Epoch is virtual time zero: Snapshot.Now is Epoch plus the offset.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// maxCyclesPerInstant bounds the cycles run at one virtual instant: a
// cycle that preempted or placed something is followed by another at the
// same time (the preemptor starts in it), but never endlessly.
const maxCyclesPerInstant = 16

// Engine runs a workload on a cluster in virtual time.
type Engine struct {
	// Log receives the event lines; nil keeps none (and skips formatting
	// them, which the benchmark relies on).
	Log io.Writer
	// MaxTime stops the simulation at that virtual time (0: when nothing
	// is left to happen).
	MaxTime time.Duration

	now      time.Duration
	nodes    []*node // by name
	nodeByID map[string]*node
	queues   []scheduler.Queue // configured, usage filled per cycle
	queueIdx map[string]int
	fair     *scheduler.FairShare

	workload []JobSpec
	jobs     []*job
	tasks    []*task // by id: task i has id i+1
	pending  pending
	running  []*attempt          // unordered (stop moves the last into the gap); attempt.pos is the index
	runs     []scheduler.Running // parallel to running: the snapshot's view
	events   eventHeap
	seq      int64

	// Reused per cycle.
	snapNodes []scheduler.Node
	windowBuf []*task
	snapQueue []scheduler.QueuedTask

	stats Stats
	// cycleTimes are the real times of the cycles, for percentiles.
	cycleTimes []time.Duration
	done       bool // Step reported the end
}

// Stats counts what a run did, and how long its cycles took in real time.
type Stats struct {
	Nodes, Jobs, Tasks                       int // in the cluster; submitted so far
	Cycles, Placements, Preemptions, Refused int
	Finished, Failed, Skipped                int
	// Window is the largest window a cycle showed the scheduler.
	Window int
	// CycleTotal and CycleMax are the real time spent in cycles (window,
	// snapshot, Schedule and applying the plan); ScheduleTotal the part
	// in scheduler.Schedule.
	CycleTotal, CycleMax, ScheduleTotal time.Duration
	// CycleP50 and CycleP99 are percentiles of the cycles' real times.
	CycleP50, CycleP99 time.Duration
	// End is the virtual time of the last event.
	End time.Duration
}

// node is a node's capacity and what it has free.
type node struct {
	name, host                 string
	tags                       []string
	milliCPU, memory           int64
	slots                      int
	freeCPU, freeMem, freeSlot int64
	self                       []string // {name}, the Running.Nodes of its one-node attempts
}

// job is a submitted job.
type job struct {
	id       int64
	user     string
	queue    string
	priority api.Priority
	tasks    []*task
	dag      *scheduler.DAG
	state    api.JobState
}

// spec is a task's resolved needs, shared by a replicated task's
// instances.
type spec struct {
	name          string
	dependsOn     []string
	deps          []int // the job's tasks (indexes) it waits for
	milliCPU      int64
	memory        int64
	duration      time.Duration
	walltime      time.Duration
	nodes         int
	distinctHosts bool
	token         string
	fail          []int
	maxAttempts   int
	retryDelay    time.Duration
}

// task is one task instance; kept small, since a backlog holds a million.
type task struct {
	id       int64
	job      *job
	spec     *spec
	index    int32 // in the job, for its DAG
	replica  int32 // instance number, -1 for a plain task
	attempts int32 // attempts that ran to their end (preempted ones do not count)
	failures int32
	queued   bool     // in the pending groups and live there
	inGroup  bool     // its entry is still in its group's slice
	att      *attempt // the running attempt, nil when not running
	waiting  string   // the last waiting reason logged
	instance string   // NAME[i], see name
}

// name is the task's name, NAME[i] for an instance (made once, when the
// instance first needs it: most of a large backlog never does).
func (t *task) name() string {
	if t.replica < 0 {
		return t.spec.name
	}
	if t.instance == "" {
		t.instance = t.spec.name + "[" + strconv.Itoa(int(t.replica)) + "]"
	}
	return t.instance
}

// attempt is a running attempt.
type attempt struct {
	task  *task
	nodes []*node
	one   [1]*node // nodes' storage for a one-node attempt
	start time.Duration
	pos   int  // in Engine.running
	over  bool // ended or preempted: its end event is stale
}

// New builds an engine for a cluster and a workload; the jobs are
// submitted at their offsets once Run starts.
func New(c Cluster, w Workload) (*Engine, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{nodeByID: map[string]*node{}, queueIdx: map[string]int{}}
	for _, ns := range c.Nodes {
		slots := ns.Slots
		if slots == 0 {
			slots = max(1, int(ns.CPUs))
		}
		for _, name := range ns.names() {
			host := ns.Host
			if host == "" {
				host = name
			}
			n := &node{name: name, host: host, tags: ns.Tags, milliCPU: milli(ns.CPUs), memory: int64(ns.Memory), slots: slots,
				self: []string{name}}
			n.freeCPU, n.freeMem, n.freeSlot = n.milliCPU, n.memory, int64(slots)
			e.nodes = append(e.nodes, n)
			e.nodeByID[name] = n
		}
	}
	slices.SortFunc(e.nodes, func(a, b *node) int { return strings.Compare(a.name, b.name) })
	for _, q := range c.Queues {
		e.queueIdx[q.Name] = len(e.queues)
		weight := q.Weight
		if weight == 0 {
			weight = 1
		}
		e.queues = append(e.queues, scheduler.Queue{Name: q.Name, Weight: weight, Backfill: q.Policy == "backfill",
			Preemption: q.Preemption, MaxRunning: q.MaxRunning, MaxMilliCPU: milli(q.MaxCPUs),
			MaxRunningPerUser: q.MaxRunningPerUser, MaxMilliCPUPerUser: milli(q.MaxCPUsPerUser)})
	}
	if _, ok := e.queueIdx[api.DefaultQueue]; !ok {
		// As in the server: jobs that name no queue wait in the default
		// queue, FIFO, weight 1, no quotas.
		e.queueIdx[api.DefaultQueue] = len(e.queues)
		e.queues = append(e.queues, scheduler.Queue{Name: api.DefaultQueue, Weight: 1})
	}
	var p problems
	for i, j := range w.Jobs {
		if j.Queue != "" {
			if _, ok := e.queueIdx[j.Queue]; !ok {
				p.add(fmt.Sprintf("jobs[%d].queue", i), "no queue %q in the cluster", j.Queue)
			}
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	e.fair = scheduler.NewFairShare(time.Duration(c.FairShareHalfLife)) // 0: the default, as in the server
	e.workload = w.Jobs
	// Submissions in time order; jobs submitted at the same time keep the
	// order of the file, and get their IDs in that order.
	type sub struct {
		at time.Duration
		i  int
	}
	var subs []sub
	for i, j := range w.Jobs {
		for r := range max(1, j.Repeat) {
			subs = append(subs, sub{time.Duration(j.Submit) + time.Duration(r)*time.Duration(j.Every), i})
		}
	}
	slices.SortStableFunc(subs, func(a, b sub) int { return cmp.Compare(a.at, b.at) })
	for _, s := range subs {
		e.push(event{at: s.at, kind: evSubmit, spec: s.i})
	}
	return e, nil
}

// milli converts cores to thousandths of a core.
func milli(cpus float64) int64 { return int64(math.Round(cpus * 1000)) }

// task returns the task of an id, nil for none.
func (e *Engine) task(id int64) *task {
	if id < 1 || id > int64(len(e.tasks)) {
		return nil
	}
	return e.tasks[id-1]
}

// Stats returns what the run did so far.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Nodes, s.Jobs, s.Tasks = len(e.nodes), len(e.jobs), len(e.tasks)
	if n := len(e.cycleTimes); n > 0 {
		sorted := slices.Clone(e.cycleTimes)
		slices.Sort(sorted)
		s.CycleP50, s.CycleP99 = sorted[(n-1)*50/100], sorted[(n-1)*99/100]
	}
	return s
}

// Now is the current virtual time.
func (e *Engine) Now() time.Duration { return e.now }

// Run runs the simulation until nothing is left to happen (or MaxTime).
func (e *Engine) Run() {
	for e.Step() {
	}
}

// Step moves the clock to the next event time, applies every event due
// then, and runs cycles until one changes nothing. It reports false, and
// does nothing, when nothing is left to happen or the next event is past
// MaxTime.
func (e *Engine) Step() bool {
	if e.done {
		return false
	}
	if len(e.events) == 0 {
		e.done = true
		e.stuck()
		return false
	}
	at := e.events[0].at
	if e.MaxTime > 0 && at > e.MaxTime {
		e.done = true
		e.logf("stopped at the time limit (%s) with %s pending, %d running", Clock(e.MaxTime), plural(e.pending.live, "task"), len(e.running))
		return false
	}
	e.now = at
	e.stats.End = at
	for len(e.events) > 0 && e.events[0].at == at {
		e.apply(heap.Pop(&e.events).(event))
	}
	for range maxCyclesPerInstant {
		if !e.Cycle() {
			break
		}
	}
	return true
}

// stuck logs the tasks that can never start: nothing runs and nothing is
// left to happen, yet they wait.
func (e *Engine) stuck() {
	if e.pending.live > 0 {
		verb := "wait"
		if e.pending.live == 1 {
			verb = "waits"
		}
		e.logf("stuck: %s %s and nothing is left to happen", plural(e.pending.live, "task"), verb)
	}
}

// event kinds.
const (
	evSubmit  = iota // submit workload job spec
	evEnd            // attempt ends
	evRequeue        // a failed task's retry delay ran out
)

type event struct {
	at      time.Duration
	seq     int64
	kind    int
	spec    int
	attempt *attempt
	task    *task
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (e *Engine) push(ev event) {
	e.seq++
	ev.seq = e.seq
	heap.Push(&e.events, ev)
}

func (e *Engine) apply(ev event) {
	switch ev.kind {
	case evSubmit:
		e.submit(e.workload[ev.spec])
	case evEnd:
		if !ev.attempt.over {
			e.end(ev.attempt)
		}
	case evRequeue:
		e.pending.push(ev.task)
	}
}
