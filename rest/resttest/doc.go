// Package resttest provides FakeBackend, an in-memory rest.Backend for
// tests of the REST layer, the Go client and the CLI. It keeps users,
// tokens, jobs, task logs and nodes in maps and lets a test script what
// the "server" does next (job state changes, log output, injected errors).
// Node changes (SetNodes, lock, drain, remove) are recorded as node
// events, which GetNode and RMEvents answer.
package resttest
