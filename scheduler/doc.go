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
//
// # One Schedule call
//
//  1. Order the queue with Less (order.go): priority, then job (FIFO), then
//     position in the job. An already ordered queue costs one O(n) check.
//  2. Walk it greedily (schedule.go). Filter the nodes, cheapest check
//     first: unavailable, no free slot, not enough CPU, not enough memory
//     (reasons.go). Place on the feasible node with the least free CPU,
//     then memory, then name — best fit, so tasks pack (cycle.go keeps the
//     nodes with a free slot in that order, so the first fit is the best).
//  3. A task that fits nowhere is skipped and keeps the reasons counted
//     across nodes; its shape is remembered (shapes.go), and any later task
//     at least as large in CPU and memory is rejected without a scan, with
//     those counts. Free capacity only shrinks within a cycle, so this
//     never rejects a task that would fit.
//  4. Once no node has a free slot, the rest of the queue is listed with
//     "no free node" without being examined.
//
// Glossary: a shape is a task's (MilliCPU, Memory); a slot is one task's
// place on a node, whatever its size; a cycle is one Schedule call.
package scheduler
