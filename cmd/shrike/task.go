package main

import "context"

// taskCommand is `shrike task ...`: commands that act inside a running
// task, meant to be run from the task itself (they default to
// $SHRIKE_JOB_ID and $SHRIKE_TASK, and the task's $SHRIKE_ADDR and
// $SHRIKE_TOKEN log them in as its job).
func taskCommand(ctx context.Context, e *env, args []string) error {
	return runGroup(ctx, e, "shrike task", []command{
		{"exec", "run a command on one of a running task's nodes, like ssh (an rsh agent for mpirun)", cmdTaskExec},
	}, args)
}
