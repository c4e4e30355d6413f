// Package policies holds the node-source deployment policies: when a node
// source should acquire, release, redeploy, withhold, suspend or vacate
// its nodes. A node source is an infrastructure (how nodes start and stop;
// rm/infra, not written yet) plus one of these policies (when and how
// many).
//
// Every policy is a pure decision: Decide takes a Snapshot (the source's
// nodes, the scheduler's pending tasks, the infrastructure's capacity and
// `now`) and the State it returned last time, and returns a Decision and
// the next State. Nothing here reads the clock, starts a goroutine or does
// I/O — except that building a policy with a `timezone` parameter reads
// the system's time-zone database once (time.LoadLocation). Importers:
// api and the standard library only.
//
// # Kinds
//
//   - static: deploy every node at once and keep them.
//   - time-slot: hold the nodes while a daily or weekly window is open.
//   - cron: acquire when one cron expression fires, release when another does.
//   - restart-down: static, and redeploy DOWN or LOST nodes, rate-limited.
//   - elastic: ceil((pending tasks + busy nodes) / load_factor) nodes,
//     clamped to [min_nodes, max_nodes]; release nodes idle for
//     release_after, never a busy one.
//   - workstation: grid work only while the owner is away; suspend tasks
//     when the owner returns, resume or vacate them later.
//
// Each Kind describes its parameters (Describe) and validates them (New),
// reporting every problem at once on the field "params.<name>", with a
// "did you mean" for unknown names. docs/policies.md is the user's guide.
//
// # Contract with the caller
//
// Decisions are level-based: the same snapshot gives the same decision.
// The caller applies a Decision and must show its effects in the next
// Snapshot — nodes it asked for as DEPLOYING (or the policy asks again),
// withheld nodes with Withheld, suspended ones with Suspended — and leave
// out nodes it is releasing, or make a repeated release harmless. It calls
// Decide on every change of the source or the queue, and at NextCheck at
// the latest; it keeps the returned State (plain data, JSON-ready) for the
// next call. A release with Preempt kills the node's tasks and queues them
// again without counting a failure; so does a Vacate, which keeps the node.
//
// # Files
//
// policy.go (Snapshot, Decision, State), params.go and registry.go (Param,
// validation, Kinds), cron.go (the cron parser and matcher), window.go
// (times of day and opening windows), common.go (what static, time-slot,
// cron and restart-down share), then one file per policy.
//
// # Status
//
// Nothing calls these policies yet: node sources, infrastructures, the
// REST and CLI views of kinds and parameters, and the node agent's owner
// readings (input idle time, non-grid load) and SIGSTOP/SIGCONT are the
// resource manager issue's next steps. Until then every node joins by
// itself (`shrike node --server ... --token ...`) and stays until it stops
// heartbeating. NodeDeploying and NodeLost, and Param, belong in api once
// they travel on the wire.
package policies
