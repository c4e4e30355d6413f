// Package node is the Shrike node agent: it joins the server (once, over
// REST, for credentials of its own), connects over NATS, reports the host's
// facts, heartbeats its full state, runs the task attempts the server
// starts, streams their output and reports their results through an
// on-disk outbox.
//
// # Pipeline of one attempt
//
//  1. The server sends a Start command on shrike.node.<name>.cmd. The agent
//     admits each task (a repeat of an attempt it runs or still holds a
//     result for is accepted and ignored), replies at once and starts the
//     processes in the background.
//  2. Each attempt runs in its own process group and working directory
//     <work>/tasks/<taskid>-<attempt>/, with stdout and stderr on one log
//     file <work>/logs/<taskid>-<attempt>.log (the same *os.File for both,
//     so no copy goroutines). Its inputs are pulled there first (see
//     Staging); then a script is written to task.sh, a Lua task to
//     task.lua and run with Config.LuaRunner.
//  3. While it runs, a poll loop publishes new output as LogChunks on
//     shrike.node.<name>.log. Attempts that end before the first poll never
//     start one.
//  4. When the leader exits, the rest of its group is SIGKILLed, the
//     outputs are pushed (see Staging), the rest of the log is published
//     with EOF, the working directory is removed and the result is
//     written to the outbox (<work>/outbox/), which sends it on
//     shrike.node.<name>.report and keeps it until acknowledged.
//
// # Staging
//
// A start with Staging moves the task's declared files (staging.go): the
// inputs are pulled into the attempt's working directory, its scratch,
// before the script is written and the process starts; the outputs are
// pushed from it after the leader has been reaped, whatever the outcome,
// unless the process never started or the agent is stopping. Files move
// over HTTP with dataspace.Client and the job's capability token, or are
// copied directly for the spaces the start names in Staging.Local
// (staging_local.go). Progress and failures are written into the task's
// log as "shrike: ..." lines. A failed input ends the attempt with
// OutcomeError before the task runs; a failed output turns a success into
// OutcomeError. A stop while no process runs cancels attempt.ctx, which
// aborts the transfers. The walltime clock starts with the process, so
// staging is not charged to it. The scratch of a failed attempt is kept
// when Staging.KeepScratchOnFailure asks for it, until LogRetention
// passes (cleanKeptScratch) or the agent restarts.
//
// The agent's state is reported in full: registrations and heartbeats list
// every attempt still running or holding an unacknowledged result, and the
// server answers with corrections (kill these, register again). Repeats are
// harmless on both sides.
//
// # Credentials
//
// Each node has credentials of its own (api.NodeCredentials: name, source,
// secret, NATS URL), kept in a file of mode 0600, <work>/credentials.json
// by default. A node without them joins first: Join trades an enrollment
// token of a node source (`shrike source token create`) for them at the
// server's REST URL (`POST /api/v1/nodes/join`, no login), and
// WriteCredentials stores them atomically. The agent then connects to NATS
// with its name as user and its secret as password (Config.Name, Token,
// ServerURL). ReadCredentials refuses a file that group or others may
// read. Tasks run as the agent's user, so they could read the file: the
// agent keeps the secret out of their environment, not out of their reach.
//
// # Suspend and resume
//
// A Suspend command SIGSTOPs the process group of every running attempt
// (Resume: SIGCONTs them) and pauses their walltime clocks, so the
// deadline moves by the time spent suspended. The node stays suspended
// until resumed: attempts started meanwhile are stopped as soon as they
// start (a few instructions may run first), and heartbeats say Suspended.
// A stop (kill, walltime, shutdown) of a suspended attempt sends SIGCONT
// right after SIGTERM so the task can act on it.
//
// # Owner watching
//
// On a workstation the agent may report what its owner is doing
// (Heartbeat.Owner: input idle time and the load not caused by grid
// tasks), read from Config.OwnerSource at every heartbeat: ProcOwner reads
// /proc/interrupts, the access times of input devices and terminals and
// /proc/loadavg (see its doc for the approximations); OwnerFile reads a
// JSON reading from a file that something else keeps up to date. The
// server's workstation policy decides what to do with it (suspend,
// resume, release).
//
// # Durability
//
// The outbox is one append-only journal, <work>/outbox/results.journal: a
// JSON line per result, appended in one write, without fsync. Results
// survive agent restarts and server outages, not a crash of the host
// itself, which the server handles as a node loss anyway. Acks only update
// memory; the journal is truncated when nothing is pending and compacted
// when it grows large, so results acknowledged just before an agent crash
// may be sent again after the restart, which the server ignores. At start
// torn or corrupt journal lines are skipped, and result files of the
// earlier one-file-per-result format (<taskid>-<attempt>.json) are taken
// into the journal.
//
// # Shutdown
//
// When Run's context is cancelled the agent refuses new starts, kills its
// running attempts without reporting them (the server treats them as lost
// and retries them elsewhere), flushes the outbox for at most a second and
// disconnects.
//
// # Crash safety
//
// Tasks never see the node's credentials: they inherit the agent's
// environment without the variables in secretEnv (SHRIKE_NODE_TOKEN,
// SHRIKE_TOKEN, SHRIKE_PASSWORD, SHRIKE_NEW_PASSWORD) and without any other
// SHRIKE_*_TOKEN; the task's own variables follow, then the SHRIKE_*
// variables the agent sets, which tasks cannot override.
//
// If the agent is killed (SIGKILL, OOM killer) it cannot stop its tasks,
// and the server retries them elsewhere, so they must not run on. Two
// layers see to it:
//
//   - Each group leader is started with Pdeathsig SIGKILL, so the kernel
//     kills it when the agent dies. Linux sends it when the OS thread that
//     forked the child exits; Go ends threads only when a goroutine locked
//     to one (runtime.LockOSThread) exits, which the agent never does. It
//     does not reach the leader's children.
//   - At start (New, before registering) the agent reaps the orphans of an
//     earlier run on the same work dir: every task's environment carries
//     SHRIKE_AGENT_ID, a random id kept in <work-dir>/agent-id; the agent
//     scans /proc/<pid>/environ (those it may read) for processes started
//     with its id and a SHRIKE_TASK_ID, SIGKILLs their process groups,
//     logging each with its task id and attempt, and only then removes the
//     stale work dirs. Its own process group and PID 1 are never
//     signalled. Keying on the work dir, not the node name, keeps two
//     grids on one host (two dev grids, parallel tests) apart.
//
// # Locks
//
// Agent.mu guards the running set and the suspended flag; it may be held
// while taking outbox.mu, never the other way round. outbox.jmu (the
// journal) is taken before outbox.mu and never under Agent.mu, so Agent.mu
// never waits for the disk. attempt.mu is never taken under Agent.mu.
// ProcOwner.mu may be held while taking Agent.mu (its task count).
// An attempt's result enters the outbox before the attempt leaves the
// running set, so the reported state never misses it.
package node
