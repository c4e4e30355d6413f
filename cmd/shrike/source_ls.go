package main

import (
	"context"

	"github.com/shrike-grid/shrike/api"
)

// cmdSourceLs is `shrike source ls`.
func cmdSourceLs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "source ls", "[--json]",
		"List the node sources you may use or administer: status, infrastructure and\n"+
			"policy kinds, their nodes by state, and who created them.",
		"shrike source ls")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the sources as JSON")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	list, err := c.ListSources(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if list == nil {
			list = []api.NodeSource{}
		}
		return printJSON(e.stdout, list)
	}
	tw := newTable(e.stdout, "NAME", "STATUS", "INFRA", "POLICY", "NODES", "OWNER")
	for _, s := range list {
		row(tw, s.Name, s.Status, orDash(s.Infrastructure.Type), orDash(s.Policy.Type), fmtNodeCounts(s.Nodes), orDash(s.Owner))
	}
	return tw.Flush()
}
