package main

import (
	"context"
	"fmt"

	"github.com/shrike-grid/shrike/api"
)

// cmdSourceDeploy is `shrike source deploy`.
func cmdSourceDeploy(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "source deploy", "NAME [--json]",
		"Deploy a node source (its admins): its policy decides at once and keeps\n"+
			"deciding when nodes come and go.",
		"shrike source deploy lab")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the source as JSON")
	name, c, err := sourceTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	src, err := c.DeploySource(ctx, name)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, src)
	}
	printSourceLine(e, "Deployed", src)
	if src.LastDecision != "" {
		fmt.Fprintf(e.stdout, "Policy: %s\n", src.LastDecision)
	}
	return nil
}

// cmdSourceUndeploy is `shrike source undeploy`.
func cmdSourceUndeploy(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "source undeploy", "NAME [--preempt] [--json]",
		"Undeploy a node source (its admins): its nodes are released once their tasks\n"+
			"end (the source is UNDEPLOYING until then); with --preempt their tasks are\n"+
			"killed at once and queued again, not counted as failures.",
		"shrike source undeploy lab --preempt")
	server := serverFlag(fs)
	preempt := fs.Bool("preempt", false, "kill running tasks now; they are queued again")
	asJSON := fs.Bool("json", false, "print the source as JSON")
	name, c, err := sourceTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	src, err := c.UndeploySource(ctx, name, api.UndeployRequest{Preempt: *preempt})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, src)
	}
	printSourceLine(e, "Undeployed", src)
	if src.Status == api.SourceUndeploying {
		fmt.Fprintln(e.stdout, "Its busy nodes leave once their tasks end (--preempt to stop them now).")
	}
	return nil
}
