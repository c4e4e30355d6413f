// Package scripts runs Shrike's Lua code with gopher-lua. It has two
// halves that share nothing but the interpreter.
//
// # Task scripts
//
// Task scripts (task.go) are a job's own code running on a node, like a
// shell script: they get the base, table, string, math, os and io
// libraries, print to the task's output, and stop when their context is
// cancelled. The node agent runs each one in a child process
// (`shrike node run-lua FILE`, see RunTaskFile), so a task cannot disturb
// the agent.
//
// # Selection scripts
//
// Selection scripts decide whether a node may run a task: evaluated
// against a read-only `node` table of facts, they return true or false
// (or set the global `selected`). Anything else — an error, another type,
// a budget exceeded — is a Verdict that is not selected, with a Reason
// from a fixed list and the detail (message and line) in Err; evaluation
// never fails and never panics. docs/selection.md is the user's guide.
//
// The pipeline, and where each step lives:
//
//	Compile (selection.go)   parse, guard (guard.go), compile once; Digest = sha256 of the source
//	NewSelection (cache.go)  bind the script to its args and the job's vars; Key = digest of all three
//	Engine.Select            VerdictCache hit, or Evaluate and Put
//	Engine.Evaluate          take a pooled sandbox, fresh globals, run under a budget, read the verdict
//
// Files: engine.go (Options, Engine, the pool, reading the result),
// sandbox.go (building a state: what is in it, read-only views),
// stdlib.go (the library functions replaced or wrapped), patterns.go
// (Lua 5.1 pattern matching with a step budget), budget.go (the
// per-evaluation meter, which is also the state's context.Context),
// guard.go (the compile-time rewrite that routes `..`, `t[k] = v` and
// keyed constructors through size-checking functions), sel.go (the `sel`
// helpers), node.go (NodeView and the `node` table), cache.go
// (Selection, VerdictCache, Select, SelectNodes), library.go and
// library/*.lua (the shipped scripts).
//
// # Dynamic scripts
//
// A dynamic selection script runs on the node itself (the node agent
// answers the server's Select command) each time the node is considered.
// Engine.EvaluateDynamic (dynamic.go) evaluates it like a static one,
// with its own time budget, and adds the read-only `host` table (host.go)
// whose functions ask a Probes: files, commands, environment, free memory
// and disk, load, and running a command where the node allows it.
// HostProbes (hostprobes.go, hostrun.go) are the Linux host's probes.
// Each probe call costs a fixed number of instructions and stops when the
// evaluation's time budget runs out; a command and its process group are
// then killed.
//
// # Limits
//
// Every evaluation runs under Options: a wall-clock Timeout (100 ms), an
// instruction budget (1,000,000 VM instructions and pattern-matching
// steps), a call depth (200), a value-stack size (32,768), a longest
// string (1 MiB) and a budget of bytes allocated by strings and by table
// writes that skip ahead (16 MiB). Instructions are counted, and the
// clock read, in the budget's Done method, which gopher-lua calls before
// every instruction: no timer or goroutine per evaluation. A limit, once
// hit, stays hit for the rest of the evaluation, so pcall cannot swallow
// it. Ordinary table growth is bounded only by the instruction and time
// budgets (about 100 MB allocated at worst with the defaults, measured).
//
// # Isolation and concurrency
//
// The Engine is safe for concurrent use; an evaluation runs on the
// caller's goroutine. Lua states are pooled: each evaluation gets a fresh
// globals table that falls back to a template it cannot reach, and the
// libraries, `node`, `args` and `vars` are read-only views, so nothing one
// evaluation does is visible to the next. A state that hit a limit or
// panicked is dropped rather than pooled. Compiled scripts are immutable
// and shared by all states.
//
// Locks: Engine.mu guards the compile memo, VerdictCache.mu the cache.
// Neither is held while the other is taken, nor while Lua runs.
package scripts
