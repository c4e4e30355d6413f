package main

import (
	"context"
	"fmt"
	"strings"
)

// command is one subcommand of a group.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// topCommands are the subcommands of shrike itself.
func topCommands() []command {
	return []command{
		{"server", "run the server (store, scheduler, REST API, web UI)", roleCommand(runServer)},
		{"node", "run a node agent, or `node ls` to list nodes", nodeCommand},
		{"dev", "run a server and local node agents in one process", roleCommand(runDev)},
		{"bench", "measure scheduler and store throughput; `bench sim`: the scheduler on virtual time", roleCommand(runBench)},
		{"bench-nodes", "measure the server holding many simulated heartbeating nodes", roleCommand(runBenchNodes)},
		{"bench-queue", "measure the server holding a large backlog of queued array tasks", roleCommand(runBenchQueue)},
		{"login", "log in to a server and save the token", cmdLogin},
		{"logout", "end the session and forget the token", cmdLogout},
		{"job", "submit, list, show, follow, kill and wait for jobs", jobCommand},
		{"queue", "the scheduler's queues: configuration, tasks and fair-share usage", queueCommand},
		{"task", "act inside a running task: exec a command on one of its nodes", taskCommand},
		{"admin", "manage user accounts", adminCommand},
		{"version", "print the version", cmdVersion},
		{"rm", "resource manager: node stats, events and history", rmCommand},
		{"source", "node sources: where nodes come from, and when", sourceCommand},
		{"space", "data spaces: list, upload and download files", spaceCommand},
		{"script", "selection scripts: test one against a node, list the shipped ones", scriptCommand},
	}
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, e *env) int {
	return report(e, runGroup(ctx, e, "shrike", topCommands(), args))
}

// roleCommand adapts a role entry point (server, node, dev, bench, bench-nodes).
func roleCommand(f func(args []string) error) func(context.Context, *env, []string) error {
	return func(_ context.Context, _ *env, args []string) error { return f(args) }
}

// runGroup dispatches args[0] to one of cmds.
func runGroup(ctx context.Context, e *env, group string, cmds []command, args []string) error {
	if len(args) == 0 {
		groupUsage(e, group, cmds)
		return usageErrorf("%s: missing command", group)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		groupUsage(e, group, cmds)
		return nil
	}
	for _, c := range cmds {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	return usageErrorf("%s: unknown command %q (run '%s -h' for the list)", group, args[0], group)
}

// groupUsage lists a group's subcommands on stderr.
func groupUsage(e *env, group string, cmds []command) {
	width := 11
	for _, c := range cmds {
		width = max(width, len(c.name))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s COMMAND [flags] [args]\n\nCommands:\n", group)
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-*s %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(&b, "\nRun '%s COMMAND -h' for a command's flags and an example.\n", group)
	fmt.Fprint(e.stderr, b.String())
}
