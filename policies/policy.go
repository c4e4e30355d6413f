package policies

import (
	"time"

	"github.com/shrike-grid/shrike/api"
)

// Node states of a node source, from api.
const (
	NodeDeploying = api.NodeDeploying
	NodeLost      = api.NodeLost
)

// Policy is one node source's deployment policy: when and how many nodes.
// Decide is a pure function of its arguments; it never reads the clock.
type Policy interface {
	// Kind is the policy's kind name ("elastic").
	Kind() string
	// Decide looks at the source and returns what to do now, with the
	// State to pass to the next call (the zero State on the first one).
	Decide(s Snapshot, st State) (Decision, State)
}

// Snapshot is everything a policy may look at: the source's nodes, the
// scheduler's load and the time.
type Snapshot struct {
	// Now is the decision time. Times of day and cron expressions are read
	// in Now's location unless the policy has a `timezone` parameter.
	Now time.Time
	// Nodes are the source's nodes in every state, DEPLOYING included. A
	// node being released should be left out (or its release repeated
	// harmlessly): decisions are level-based.
	Nodes []Node
	// Capacity is the most nodes the infrastructure can provide (the
	// number of hosts it lists); 0: no fixed limit (a cloud).
	Capacity int
	// PendingTasks counts the eligible pending tasks this source's nodes
	// could run (elastic only).
	PendingTasks int
}

// Node is one node of the source as the policy sees it.
type Node struct {
	Name  string
	State api.NodeState // DEPLOYING, FREE, BUSY, DOWN or LOST
	// Since is when the node entered State.
	Since time.Time
	// Tasks counts the attempts running on the node (a FREE node may run
	// some: FREE only means it has room for more).
	Tasks int
	// IdleSince is when Tasks last dropped to 0, or when the node
	// registered; zero when unknown (the node is then never idle long
	// enough to be released).
	IdleSince time.Time
	// Withheld: the policy took the node out of scheduling (Withhold); the
	// scheduler gives it no new work until it is offered again.
	Withheld bool
	// Suspended is when the node's tasks were suspended (SIGSTOP); zero
	// when they run.
	Suspended time.Time
	// Owner holds a workstation's readings of its owner; nil when the node
	// reports none.
	Owner *Owner
}

// Owner is what a workstation's agent reports about the person at it.
type Owner struct {
	// InputIdle is the time since the last keyboard or mouse input.
	InputIdle time.Duration
	// Load is the 1-minute load average not caused by grid tasks.
	Load float64
}

func (n Node) busy() bool  { return n.Tasks > 0 || n.State == api.NodeBusy }
func (n Node) alive() bool { return n.State == api.NodeFree || n.State == api.NodeBusy }
func (n Node) dead() bool  { return n.State == api.NodeDown || n.State == NodeLost }

// Decision is what a policy wants done now. Every action carries its reason
// for the resource manager's history and events. The caller applies it and
// reflects the result in the next Snapshot: acquired nodes appear as
// DEPLOYING, withheld ones with Withheld set, suspended ones with Suspended.
type Decision struct {
	// Acquire is how many new nodes to ask the infrastructure for.
	Acquire       int
	AcquireReason string
	// Release: stop these nodes and remove them from the source.
	Release []Action
	// Redeploy: ask the infrastructure to start these (DOWN or LOST)
	// nodes again.
	Redeploy []Action
	// Withhold: give these nodes no new work; Offer: give them work again.
	Withhold, Offer []Action
	// Suspend (SIGSTOP) and Resume (SIGCONT) the tasks on these nodes.
	Suspend, Resume []Action
	// Vacate: kill the tasks on these nodes and queue them again without
	// counting a failure; the nodes stay.
	Vacate []Action
	// NextCheck is when to call Decide again at the latest (a window edge,
	// a cron time, an idle deadline); zero: only on the next change.
	NextCheck time.Time
}

// Action is one node to act on and why.
type Action struct {
	Node   string
	Reason string
	// Preempt, on a release, means the node still runs tasks: kill them
	// and queue them again without counting a failure, then release it.
	Preempt bool
}

// State is what a policy remembers between two decisions of one source.
// The caller keeps the State the last Decide returned (it is plain data and
// may be stored as JSON) and passes it to the next call.
type State struct {
	// Redeploys are restart-down's recent redeploys, for its rate limit.
	Redeploys []Redeploy `json:"redeploys,omitempty"`
}

// Redeploy records one redeploy decision.
type Redeploy struct {
	Node string    `json:"node"`
	At   time.Time `json:"at"`
}
