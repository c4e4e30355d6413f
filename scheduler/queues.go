package scheduler

import (
	"fmt"
	"strconv"
	"time"
)

// queueState is one queue during a cycle: its configuration, what it
// and each of its users run (Snapshot.Running plus this cycle's
// placements), and how the walk treats it.
type queueState struct {
	cfg    Queue
	weight float64
	// running and milliCPU count the queue's running tasks and their
	// CPUs (MilliCPU × nodes), for quotas and effective usage.
	running  int
	milliCPU int64
	users    map[string]*userState
	// res is a backfill queue's reservation for its first blocked task;
	// reserved is set once that task is found (with or without one).
	res      *reservation
	reserved bool
	// victims are the queue's running attempts that may be preempted,
	// lowest priority first, then the most recently started
	// (preempt.go); noVictims remembers, per eligibility group, the
	// shapes no set of victims makes room for.
	victims     []int32
	victimNodes []int     // the nodes it runs something on, in order
	nodeVictims [][]int32 // its attempts on each, in victim order
	vnext       int       // victims before it are picked
	noVictims   map[victimKey]*shapeCache
	// held remembers the quota reasons given, by what they say.
	held map[heldKey][]Reason
}

// userState is one user in one queue during a cycle.
type userState struct {
	name     string
	usage    float64 // decayed usage, CPU-seconds
	running  int
	milliCPU int64
}

// queues holds the cycle's queue states.
type queues struct {
	byName   map[string]*queueState
	halfLife float64 // seconds
	last     *queueState
	lastName string
}

func newQueues(s *Snapshot) *queues {
	h := s.HalfLife
	if h <= 0 {
		h = DefaultHalfLife
	}
	qs := &queues{byName: make(map[string]*queueState, len(s.Queues)+1), halfLife: h.Seconds()}
	for _, q := range s.Queues {
		qs.add(q)
	}
	for i := range s.Running {
		r := &s.Running[i]
		q := qs.get(r.Queue)
		q.count(q.user(r.User), r.MilliCPU*int64(max(1, len(r.Nodes))))
	}
	return qs
}

// add registers queue q's configuration.
func (qs *queues) add(q Queue) *queueState {
	q.Name = queueName(q.Name)
	st := &queueState{cfg: q, weight: q.Weight, users: map[string]*userState{}}
	if st.weight <= 0 {
		st.weight = 1
	}
	qs.byName[q.Name] = st
	return st
}

// get returns the state of the queue named name ("" is the default
// queue); a queue not configured is an unlimited FIFO queue of weight 1.
func (qs *queues) get(name string) *queueState {
	if qs.last != nil && qs.lastName == name { // tasks of one job come together
		return qs.last
	}
	q := qs.byName[queueName(name)]
	if q == nil {
		q = qs.add(Queue{Name: name})
	}
	qs.last, qs.lastName = q, name
	return q
}

// user returns the state of user in q.
func (q *queueState) user(name string) *userState {
	u := q.users[name]
	if u == nil {
		u = &userState{name: name, usage: q.cfg.UserUsage[name]}
		q.users[name] = u
	}
	return u
}

// count adds one running task of milliCPU (all nodes together) by u.
func (q *queueState) count(u *userState, milliCPU int64) {
	q.running++
	q.milliCPU += milliCPU
	u.running++
	u.milliCPU += milliCPU
}

// share is the queue's effective usage per unit of weight: the walk
// serves the queue with the least first (at equal priority).
func (qs *queues) share(q *queueState) float64 {
	return qs.effective(q.cfg.Usage, q.milliCPU) / q.weight
}

// effective is E = U + h·C: decayed usage plus the half-life times the
// CPUs running now. A user who runs C CPUs steadily accumulates about
// 1.44·h·C, so both terms weigh alike, and a user who just started many
// tasks does not look idle.
func (qs *queues) effective(usage float64, milliCPU int64) float64 {
	return usage + qs.halfLife*float64(milliCPU)/1000
}

// quota returns why t (of user u) may not start in q now, or nil.
// Tasks held for the same numbers share their reasons.
func (q *queueState) quota(u *userState, t *QueuedTask) []Reason {
	c := &q.cfg
	cpu := t.MilliCPU * int64(max(1, t.Nodes))
	var k heldKey
	switch {
	case c.MaxRunningPerUser > 0 && u.running >= c.MaxRunningPerUser:
		k = heldKey{kind: 1, user: u.name, running: u.running}
	case c.MaxMilliCPUPerUser > 0 && u.milliCPU+cpu > c.MaxMilliCPUPerUser:
		k = heldKey{kind: 2, user: u.name, milliCPU: u.milliCPU, need: cpu}
	case c.MaxRunning > 0 && q.running >= c.MaxRunning:
		k = heldKey{kind: 3, running: q.running}
	case c.MaxMilliCPU > 0 && q.milliCPU+cpu > c.MaxMilliCPU:
		k = heldKey{kind: 4, milliCPU: q.milliCPU, need: cpu}
	default:
		return nil
	}
	if rs, ok := q.held[k]; ok {
		return rs
	}
	var msg string
	switch k.kind {
	case 1:
		msg = fmt.Sprintf("quota: user %s has %d running tasks in queue %s (max %d)", u.name, u.running, c.Name, c.MaxRunningPerUser)
	case 2:
		msg = fmt.Sprintf("quota: user %s runs %s cpus in queue %s, the task needs %s (max %s)",
			u.name, formatCPU(u.milliCPU), c.Name, formatCPU(cpu), formatCPU(c.MaxMilliCPUPerUser))
	case 3:
		msg = fmt.Sprintf("quota: queue %s has %d running tasks (max %d)", c.Name, q.running, c.MaxRunning)
	case 4:
		msg = fmt.Sprintf("quota: queue %s runs %s cpus, the task needs %s (max %s)",
			c.Name, formatCPU(q.milliCPU), formatCPU(cpu), formatCPU(c.MaxMilliCPU))
	}
	if q.held == nil {
		q.held = map[heldKey][]Reason{}
	}
	rs := []Reason{{Count: 0, Message: msg}}
	q.held[k] = rs
	return rs
}

// heldKey is what a quota reason says.
type heldKey struct {
	kind     uint8
	user     string
	running  int
	milliCPU int64
	need     int64
}

// taskName names t in reasons: "job 12 task render".
func taskName(t *QueuedTask) string {
	name := t.Name
	if name == "" {
		name = strconv.FormatInt(t.TaskID, 10)
	}
	return "job " + strconv.FormatInt(t.JobID, 10) + " task " + name
}

// msgFIFO is the reason of the tasks behind a blocked task of a FIFO queue.
func msgFIFO(head *QueuedTask, queue string) string {
	return fmt.Sprintf("waiting behind %s (queue %s is first in, first out)", taskName(head), queue)
}

// ends is when t would end if it started at now (zero: never).
func ends(t *QueuedTask, now time.Time) time.Time {
	if t.Walltime <= 0 {
		return time.Time{}
	}
	return now.Add(t.Walltime)
}
