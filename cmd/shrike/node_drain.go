package main

import (
	"context"
	"fmt"
)

// cmdNodeDrain is `shrike node drain`.
func cmdNodeDrain(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "node drain", "NAME [--cancel] [--json]",
		"Drain a node (admins only): it gets no new work, the tasks it runs finish,\n"+
			"and once it is empty it can be removed with `shrike node rm`. --cancel\n"+
			"ends the drain.",
		"shrike node drain worker-7 && shrike node show worker-7")
	server := serverFlag(fs)
	cancel := fs.Bool("cancel", false, "stop draining the node")
	asJSON := fs.Bool("json", false, "print the node as JSON")
	name, c, err := nodeTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	n, err := c.DrainNode(ctx, name, !*cancel)
	if err != nil {
		return err
	}
	switch {
	case *asJSON:
		return printJSON(e.stdout, n)
	case !n.Draining:
		fmt.Fprintf(e.stdout, "Node %s is not draining.\n", n.Name)
	case len(n.RunningTasks) == 0:
		fmt.Fprintf(e.stdout, "Node %s is draining and empty: it can be removed.\n", n.Name)
	default:
		fmt.Fprintf(e.stdout, "Node %s is draining; %d task(s) still run.\n", n.Name, len(n.RunningTasks))
	}
	return nil
}
