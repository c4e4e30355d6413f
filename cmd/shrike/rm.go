package main

import "context"

// rmCommand dispatches `shrike rm ...`, the resource manager's view of the
// grid.
func rmCommand(ctx context.Context, e *env, args []string) error {
	return runGroup(ctx, e, "shrike rm", []command{
		{"stats", "count nodes by state and sum their capacity", cmdRMStats},
		{"events", "print or follow node events", cmdRMEvents},
		{"history", "node counts by state over the last hour, day or week", cmdRMHistory},
	}, args)
}
