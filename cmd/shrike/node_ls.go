package main

import (
	"context"
	"fmt"

	"github.com/shrike-grid/shrike/api"
)

// cmdNodeLs is `shrike node ls`.
func cmdNodeLs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "node ls", "[--state S]... [--locked[=false]] [--source NAME] [--json]",
		"List the nodes the resource manager knows, with their state, node source,\n"+
			"whether they are locked or draining, and what they use of their CPUs and\n"+
			"memory.",
		"shrike node ls --state FREE,BUSY --locked=false --source lab")
	server := serverFlag(fs)
	var states listFlag
	fs.Var(&states, "state", "only nodes in this state: FREE, BUSY, DOWN (repeatable, or comma-separated)")
	var locked optBool
	fs.Var(&locked, "locked", "only locked nodes; --locked=false: only unlocked ones")
	source := fs.String("source", "", "only the nodes of this node source")
	asJSON := fs.Bool("json", false, "print the nodes as JSON")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	opts := api.NodeListOptions{Locked: locked.v, Source: *source}
	var err error
	if opts.States, err = parseNodeStates("node ls", states); err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	nodes, err := c.ListNodesFiltered(ctx, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		if nodes == nil {
			nodes = []api.Node{}
		}
		return printJSON(e.stdout, nodes)
	}
	tw := newTable(e.stdout, "NAME", "STATE", "SOURCE", "LOCK/DRAIN", "HOST", "OS/ARCH", "CPU", "MEMORY", "TASKS", "LOAD", "LAST SEEN")
	for _, n := range nodes {
		row(tw, n.Name, n.State, orDash(n.Source), lockDrain(n), n.Hostname, n.OS+"/"+n.Arch,
			fmt.Sprintf("%g/%d", n.UsedCPU, n.CPUs),
			api.HumanBytes(n.UsedMemory)+" / "+api.HumanBytes(n.Memory),
			len(n.RunningTasks), fmt.Sprintf("%.2f", n.Load1), fmtTime(n.LastSeen))
	}
	return tw.Flush()
}
