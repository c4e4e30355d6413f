package main

import (
	"context"
	"fmt"
)

// cmdNodeUnlock is `shrike node unlock`.
func cmdNodeUnlock(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "node unlock", "NAME [--json]",
		"Unlock a node (admins only): the scheduler may give it work again.",
		"shrike node unlock worker-7")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the node as JSON")
	name, c, err := nodeTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	n, err := c.UnlockNode(ctx, name)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, n)
	}
	fmt.Fprintf(e.stdout, "Node %s is unlocked (%s).\n", n.Name, n.State)
	return nil
}
