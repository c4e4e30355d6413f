package main

import (
	"context"
	"fmt"
)

// cmdNodeLock is `shrike node lock`.
func cmdNodeLock(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "node lock", "NAME [--reason R] [--json]",
		"Lock a node (admins only): the scheduler gives it no new work; the tasks it\n"+
			"runs go on. Undo with `shrike node unlock`.",
		`shrike node lock worker-7 --reason "disk replacement"`)
	server := serverFlag(fs)
	reason := fs.String("reason", "", "why, shown by node show and in the node's history")
	asJSON := fs.Bool("json", false, "print the node as JSON")
	name, c, err := nodeTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	n, err := c.LockNode(ctx, name, *reason)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, n)
	}
	fmt.Fprintf(e.stdout, "Node %s is %s; it runs %d task(s).\n", n.Name, fmtLock(n.Locked), len(n.RunningTasks))
	return nil
}
