// Package scheduler is Shrike's scheduling decision, as pure functions.
//
// Schedule takes a Snapshot (the ordered queue of eligible tasks, the nodes
// and what they have free, and the decision time) and returns a Plan:
// placements, and for every task left waiting the reasons counted across
// nodes ("2 nodes: not enough memory"). Reconcile turns a job's task states
// into transitions (which tasks became ready, which are skipped because a
// dependency did not finish, the job's state), and Retry decides what
// follows the end of an attempt.
//
// Nothing here imports NATS, gorm or gin, or reads the clock: the server
// builds the snapshot, calls these functions and applies the result. That
// keeps every decision replayable and testable as a table.
package scheduler
