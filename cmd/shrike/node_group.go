package main

import "context"

// nodeCommand dispatches `shrike node`: `node ls` lists the grid's nodes;
// anything else runs the node agent (runNode).
func nodeCommand(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "ls" {
		return cmdNodeLs(ctx, e, args[1:])
	}
	return runNode(args)
}
