// Package sim drives the real scheduler on virtual time.
//
// A cluster file (nodes, queues, fair-share half-life) and a workload file
// (jobs with submission offsets, users, queues, priorities and tasks that
// run for a given virtual duration) are loaded strictly: an unknown field
// is an error naming it. The Engine then runs a discrete-event loop:
//
//  1. Apply every event due at the current virtual time: submissions,
//     attempts that end (their resources are freed, the user's and the
//     queue's fair-share usage is charged, the job's DAG releases the
//     tasks that were waiting on it), retries whose delay ran out.
//  2. Run a cycle as the server does: take a window of the pending tasks
//     (the first tasks of each (priority, queue, user) group, so that a
//     1,000,000-task backlog is never copied whole), build a
//     scheduler.Snapshot (nodes with what they have free, queues with
//     their usage, running attempts), call scheduler.Schedule, and apply
//     its plan: preemptions first (the victim stops and is re-queued, not
//     failed), then placements, each re-checked against the nodes. A
//     cycle that changed something is followed by another at the same
//     instant (a preempting task starts in it); nothing else can change
//     between events, so no cycle runs on a timer.
//  3. Move the clock to the next event (Step does one instant, Run all).
//
// Files: config.go (the YAML files and their checks), engine.go (the
// engine, its records and the event queue), queue.go (pending groups and
// the window), cycle.go (snapshot and plan), jobs.go (submissions,
// starts, ends, retries, preemptions), log.go (the event lines).
//
// Every change is one line of the event log ("t=12s job 3 task render[4]
// started on n07 (queue q, user u)"); a task's waiting reason is logged the
// first time it waits and when it changes, so that the logs stay readable
// and can serve as golden files (testdata/*/events.golden).
//
// Glossary: a group is the FIFO of pending tasks of one priority, queue
// and user; the window is what one cycle shows the scheduler.
package sim
