// Package scheduler is Shrike's scheduling decision, as pure functions.
//
// Schedule takes a Snapshot (the ordered queue of eligible tasks, the nodes
// and what they have free, the running attempts, the queues with their
// usage, and the decision time) and returns a Plan: placements, running
// attempts to preempt, and for every task left waiting the reasons counted
// across nodes ("2 nodes: not enough memory"). Reconcile turns a job's task states
// into transitions (which tasks became ready, which are skipped because a
// dependency did not finish, the job's state), and Retry decides what
// follows the end of an attempt.
//
// Nothing here imports NATS, gorm or gin, or reads the clock: the server
// builds the snapshot, calls these functions and applies the result. That
// keeps every decision replayable and testable as a table.
//
// # One Schedule call
//
//  1. Order the queue with Less (order.go): priority, then job (FIFO), then
//     position in the job. An already ordered queue costs one O(n) check.
//  2. Cut it into groups (priority, queue, user) in one pass and merge them
//     (walk.go): highest priority first; at one priority the queue with
//     the least effective usage per weight, then its user with the least
//     effective usage (E = U + h·C: decayed usage from FairShare plus the
//     half-life times the CPUs running now, this cycle's placements
//     included), then queue order. Two small heaps per priority level.
//  3. For each task: the queue's quotas (queues.go); then filter the
//     nodes, cheapest check first: unavailable, no free slot, not enough
//     CPU, not enough memory (reasons.go), and place on the feasible node
//     with the least free CPU, then memory, then name — best fit, so tasks
//     pack (cycle.go keeps the nodes with a free slot in that order, so the
//     first fit is the best). A multi-node task takes all its slots or none
//     (multinode.go).
//  4. A task that fits nowhere keeps the reasons counted across nodes; its
//     shape is remembered (shapes.go), and any later task at least as large
//     in CPU and memory is rejected without a scan. Free capacity only
//     shrinks within a cycle, so this never rejects a task that would fit.
//     If it is blocked for lack of resources (a node could hold it once its
//     running work ended), a FIFO queue stops there, and a backfill queue
//     gives it a reservation its later tasks may not delay (backfill.go).
//     In a queue with preemption it may first choose running tasks of lower
//     priority to stop (preempt.go).
//  5. Once no node has a free slot, the rest of the queue is listed with
//     "no free node" without being examined, but in queues with
//     preemption.
//
// FairShare (fairshare.go) keeps the decayed usage the server and the
// simulator charge and put in Snapshot.Queues. docs/scheduling.md has the
// rules for users, with the fair-share formula worked out.
//
// Glossary: a shape is a task's (MilliCPU, Memory); a slot is one task's
// place on a node, whatever its size; a cycle is one Schedule call; a
// group is one user's tasks in one queue at one priority; a reservation is
// the earliest start held for a backfill queue's first blocked task; a
// victim is a running attempt chosen to be preempted.
package scheduler
