package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// cmdSourceInfrastructures is `shrike source infrastructures`.
func cmdSourceInfrastructures(ctx context.Context, e *env, args []string) error {
	return kindsCommand(ctx, e, args, "infrastructures", "infrastructure",
		"How a source's nodes start: enroll (they join by themselves with a token),\n"+
			"local, ssh or slurm.",
		(*api.Client).Infrastructures)
}

// cmdSourcePolicies is `shrike source policies`.
func cmdSourcePolicies(ctx context.Context, e *env, args []string) error {
	return kindsCommand(ctx, e, args, "policies", "policy",
		"When a source acquires and releases nodes: static, time-slot, cron,\n"+
			"restart-down, elastic or workstation.",
		(*api.Client).Policies)
}

// kindsCommand lists the kinds list answers, or the one named, with their
// parameters.
func kindsCommand(ctx context.Context, e *env, args []string, cmd, what, summary string,
	list func(*api.Client, context.Context) ([]api.KindInfo, error)) error {
	fs := newFlags(e, "source "+cmd, "[KIND] [--json]",
		"List the "+what+" kinds with their parameters: name, type, default, whether\n"+
			"it is required or secret, and what it does. "+summary,
		"shrike source "+cmd)
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the kinds as JSON")
	pos, err := parseArgs(fs, args, -1)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErrorf("source %s: want at most one KIND, got %d arguments", cmd, len(pos))
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	kinds, err := list(c, ctx)
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		i := slices.IndexFunc(kinds, func(k api.KindInfo) bool { return k.Name == pos[0] })
		if i < 0 {
			names := make([]string, len(kinds))
			for j, k := range kinds {
				names[j] = k.Name
			}
			return usageErrorf("source %s: unknown %s %q (known: %s)", cmd, what, pos[0], strings.Join(names, ", "))
		}
		kinds = kinds[i : i+1]
	}
	if *asJSON {
		if kinds == nil {
			kinds = []api.KindInfo{}
		}
		return printJSON(e.stdout, kinds)
	}
	for i, k := range kinds {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		printKind(e, k)
	}
	return nil
}

// printKind writes a kind's summary and a table of its parameters.
func printKind(e *env, k api.KindInfo) {
	fmt.Fprintf(e.stdout, "%s: %s\n", k.Name, k.Summary)
	if len(k.Params) == 0 {
		fmt.Fprintln(e.stdout, "  no parameters")
		return
	}
	tw := newTable(e.stdout, "  PARAM", "TYPE", "DEFAULT", "REQUIRED", "SECRET", "HELP")
	for _, p := range k.Params {
		row(tw, "  "+p.Name, p.Type, orDash(p.Default), yesDash(p.Required), yesDash(p.Secret), p.Help)
	}
	_ = tw.Flush()
}

// yesDash writes a flag as "yes" or "-".
func yesDash(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}
