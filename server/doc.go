// Package server is Shrike's composition root. It starts the embedded NATS
// server (JetStream on), opens the store, and runs the long-lived services
// under one errgroup: the group-commit writer, the scheduling loop with its
// plan applier, the node liveness checker and the REST API.
//
// State: the store is the truth. The server keeps an in-memory index of
// every non-terminal job, its tasks and the ready queue, plus the node
// registry (rm.Registry), all guarded by one mutex (Server.mu). Every
// change is made in memory under that lock and written through the single
// writer (store.Committer); nothing is acknowledged (HTTP 201, a report
// ack to a node) before its write is durable. At start the index is
// rebuilt from the store; nodes re-register and report what they run, and
// the server re-attaches those attempts or retries the ones that are gone.
//
// Arrays (arrays.go): a task with replicate stands for Count tasks of the
// index, NAME[0] to NAME[Count-1], which share its spec; their store rows
// are written on their first change, and the index rebuilds the missing
// ones (still PENDING) from the job's spec at start.
//
// Lock order: Server.mu is the only mutex around job and node state. The
// committer and NATS are never called with it held when the call can block.
// The sub-job tree (jobTree, subjobs.go) has its own lock, taken after
// Server.mu or alone, never the other way round, so that access checks
// use it with or without Server.mu.
package server
