// Package scripts runs Shrike's Lua code with gopher-lua.
//
// Task scripts (task.go) are a job's own code running on a node, like a
// shell script: they get the base, table, string, math, os and io
// libraries, print to the task's output, and stop when their context is
// cancelled. The node agent runs each one in a child process
// (`shrike node run-lua FILE`, see RunTaskFile), so a task cannot disturb
// the agent.
//
// Selection scripts, which decide whether a node may run a task, are
// sandboxed and live beside them in this package.
package scripts
