package main

import (
	"context"
	"fmt"
)

// nodeCommands are the client commands of `shrike node`.
func nodeCommands() []command {
	return []command{
		{"ls", "list nodes", cmdNodeLs},
		{"show", "show a node, its running tasks and its history", cmdNodeShow},
		{"lock", "keep a node from new work (admins)", cmdNodeLock},
		{"unlock", "let a locked node take new work again (admins)", cmdNodeUnlock},
		{"drain", "give a node no new work until it is empty (admins)", cmdNodeDrain},
		{"rm", "remove a node from the grid (admins)", cmdNodeRm},
		{"join", "trade an enrollment token for this node's credentials", cmdNodeJoin},
		{"install-service", "install the node agent as a systemd service", cmdNodeInstallService},
	}
}

// nodeCommand dispatches `shrike node`: `node ls|show|lock|unlock|drain|rm`
// are client commands, `node join` and `node install-service` prepare an
// agent, and `node help` lists them; anything else runs the node agent
// (runNode).
func nodeCommand(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		if args[0] == "help" {
			err := runGroup(ctx, e, "shrike node", nodeCommands(), args)
			fmt.Fprintln(e.stderr, "Without a command, 'shrike node [flags]' runs the node agent: see 'shrike node -h'.")
			return err
		}
		for _, c := range nodeCommands() {
			if c.name == args[0] {
				return c.run(ctx, e, args[1:])
			}
		}
	}
	return runNode(ctx, e, args)
}
