// Package rm is Shrike's resource manager: the registry of nodes, their
// facts, states and liveness, and what each node has allocated to running
// task attempts.
//
// A Registry is a plain data structure with no lock of its own: the server
// guards it with the same mutex that guards job state, so a placement can
// check a node's free capacity and take it in one step. Times are passed in
// (now), never read from the clock, so every rule here is table-testable.
//
// Node states: FREE (alive, room for more work), BUSY (alive, every slot or
// all CPU taken), DOWN (missed its heartbeats for longer than the timeout;
// its attempts are handed back to the scheduler and it may come back).
package rm
