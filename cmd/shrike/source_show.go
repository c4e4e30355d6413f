package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// sourceDetail is what `source show --json` prints: the source and, for
// its admins, its enrollment tokens (without their secrets).
type sourceDetail struct {
	api.NodeSource
	Tokens []api.EnrollToken `json:"tokens,omitempty"`
}

// cmdSourceShow is `shrike source show`.
func cmdSourceShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "source show", "NAME [--json]",
		"Show a node source: its status, infrastructure and policy with their\n"+
			"parameters (secrets shown as ******), who may use and administer it, its\n"+
			"node tokens, its nodes by state, the policy's last decision, the last error\n"+
			"and the next check; for its admins, its enrollment tokens.",
		"shrike source show lab")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the source (and its tokens) as JSON")
	name, c, err := sourceTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	src, err := c.GetSource(ctx, name)
	if err != nil {
		return err
	}
	toks, err := c.ListEnrollTokens(ctx, name)
	canSeeTokens := err == nil
	if err != nil && !api.IsCode(err, api.CodeForbidden) {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, sourceDetail{NodeSource: src, Tokens: toks})
	}
	printSource(e, src)
	fmt.Fprintln(e.stdout)
	switch {
	case !canSeeTokens:
		fmt.Fprintln(e.stdout, "Enrollment tokens: shown to the source's admins only")
	case len(toks) == 0:
		fmt.Fprintln(e.stdout, "Enrollment tokens: none")
	default:
		fmt.Fprintln(e.stdout, "Enrollment tokens:")
		printTokens(e, toks, "  ")
	}
	return nil
}

// printSource writes a source's header and its parameters.
func printSource(e *env, s api.NodeSource) {
	head := newTable(e.stdout, "Name:", s.Name)
	row(head, "Description:", orDash(s.Description))
	row(head, "Status:", s.Status)
	row(head, "Owner:", orDash(s.Owner))
	row(head, "Created:", fmtTime(&s.CreatedAt))
	row(head, "Infrastructure:", orDash(s.Infrastructure.Type))
	row(head, "Policy:", orDash(s.Policy.Type))
	row(head, "Use:", fmtAccess(s.Access.Use, "everyone"))
	row(head, "Admin:", fmtAccess(s.Access.Admin, "admins only"))
	row(head, "Node tokens:", fmtAccess(s.NodeTokens, "- (the nodes run any task)"))
	row(head, "Nodes:", fmtNodeCounts(s.Nodes))
	row(head, "Last decision:", orDash(s.LastDecision))
	row(head, "Last error:", orDash(s.LastError))
	row(head, "Next check:", fmtTime(s.NextCheck))
	_ = head.Flush()
	printParams(e, "Infrastructure parameters", s.Infrastructure.Params)
	printParams(e, "Policy parameters", s.Policy.Params)
}

// printParams writes parameters by name; a multi-line value shows its
// first line and how many lines it has.
func printParams(e *env, title string, params map[string]string) {
	fmt.Fprintln(e.stdout)
	if len(params) == 0 {
		fmt.Fprintf(e.stdout, "%s: none (defaults)\n", title)
		return
	}
	fmt.Fprintf(e.stdout, "%s:\n", title)
	tw := newTable(e.stdout, "  NAME", "VALUE")
	for _, k := range slices.Sorted(maps.Keys(params)) {
		v := strings.TrimRight(params[k], "\n")
		if first, _, multi := strings.Cut(v, "\n"); multi {
			v = fmt.Sprintf("%s … (%d lines)", first, strings.Count(v, "\n")+1)
		}
		row(tw, "  "+k, v)
	}
	_ = tw.Flush()
}

// printTokens writes enrollment tokens as a table, each line indented.
func printTokens(e *env, toks []api.EnrollToken, indent string) {
	tw := newTable(e.stdout, indent+"ID", "TYPE", "EXPIRES", "USES", "CREATED BY", "CREATED", "DESCRIPTION")
	for _, t := range toks {
		kind := "reusable"
		if t.OneTime {
			kind = "one-time"
		}
		expires := "never"
		if t.ExpiresAt != nil {
			expires = fmtTime(t.ExpiresAt)
		}
		row(tw, indent+t.ID, kind, expires, t.Uses, orDash(t.CreatedBy), fmtTime(&t.CreatedAt), orDash(t.Description))
	}
	_ = tw.Flush()
}
