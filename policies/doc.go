// Package policies will hold the node-source deployment policies: pure
// decisions over a snapshot of a node source, the scheduler's load and the
// time — static, time slot, cron, restart-down, elastic and
// workstation-idle.
//
// Status: not implemented yet. Today every node joins by itself
// (`shrike node --server ... --token ...`) and stays until it stops
// heartbeating. Node sources and their policies are tracked in the
// resource manager issue.
package policies
