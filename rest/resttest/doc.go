// Package resttest provides FakeBackend, an in-memory rest.Backend for
// tests of the REST layer, the Go client and the CLI. It keeps users,
// tokens, jobs, task logs, nodes and node sources in maps and lets a test
// script what the "server" does next (job state changes, log output,
// injected errors). Node changes (SetNodes, lock, drain, remove) are
// recorded as node events, which GetNode and RMEvents answer.
//
// Node sources are checked against the kinds of InfrastructureKinds (a
// description of the server's infrastructures) and the real policies,
// with the real parameter parser; secrets are redacted in reads, access
// lists are enforced, and enrollment tokens can be created, listed,
// revoked and traded for node credentials by JoinNode.
//
// ExplainJob, DryRunJob and TestScript follow a small copy of the
// scheduler's checks (explain.go): availability, selection scripts, slots,
// CPU and memory. Selection scripts run in the real engine (package
// scripts) against the node's facts (its fields plus SetNodeFacts), with
// static verdicts cached until the facts change.
//
// Data spaces are real: OpenSpaces puts a dataspace.Store under a test's
// directory, and TransferToken hands out the capability tokens a node's
// transfers carry (TransferSpace).
package resttest
