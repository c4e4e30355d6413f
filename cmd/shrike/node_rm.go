package main

import (
	"context"
	"fmt"

	"github.com/shrike-grid/shrike/api"
)

// cmdNodeRm is `shrike node rm`.
func cmdNodeRm(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "node rm", "NAME [--force]",
		"Remove a node from the grid (admins only); a connected agent is told to\n"+
			"leave. A node that still runs tasks is refused unless --force, which hands\n"+
			"its tasks back to the scheduler. Drain it first to let them finish.",
		"shrike node drain worker-7; shrike node rm worker-7")
	server := serverFlag(fs)
	force := fs.Bool("force", false, "remove the node even if it runs tasks; they are scheduled again")
	name, c, err := nodeTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	if err = c.RemoveNode(ctx, name, *force); err != nil {
		if !*force && api.IsCode(err, api.CodeConflict) {
			return fmt.Errorf("%w\n(add --force to remove it now; its tasks go back to the scheduler)", err)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "Removed node %s.\n", name)
	return nil
}
