package main

import (
	"context"
	"fmt"

	"github.com/shrike-grid/shrike/api"
)

// defaultTokenTTL is how long `source token create` tokens last unless
// --ttl says otherwise.
const defaultTokenTTL = "24h"

// sourceTokenCommand dispatches `shrike source token ...`.
func sourceTokenCommand(ctx context.Context, e *env, args []string) error {
	return runGroup(ctx, e, "shrike source token", []command{
		{"create", "create an enrollment token; it is shown once", cmdSourceTokenCreate},
		{"ls", "list a source's enrollment tokens", cmdSourceTokenLs},
		{"revoke", "revoke an enrollment token", cmdSourceTokenRevoke},
	}, args)
}

// cmdSourceTokenCreate is `shrike source token create`.
func cmdSourceTokenCreate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "source token create", "NAME [--one-time] [--ttl D] [--description D] [--json]",
		"Create an enrollment token of a node source (its admins). A machine runs\n"+
			"`shrike node join --server URL --token TOKEN` once to trade it for\n"+
			"credentials of its own and becomes a node of the source. The token is\n"+
			"printed only now. A one-time token is spent by its first join; --ttl 0\n"+
			"keeps the token valid until it is revoked.",
		"shrike source token create ws --one-time --ttl 2h --description ws12")
	server := serverFlag(fs)
	oneTime := fs.Bool("one-time", false, "the token is spent by its first successful join")
	ttl := fs.String("ttl", defaultTokenTTL, "how long the token is valid, like 30m, 24h or 7d; 0: until revoked")
	description := fs.String("description", "", "what the token is for, shown by token ls")
	asJSON := fs.Bool("json", false, "print the token (its secret included) as JSON")
	name, c, err := sourceTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	d, err := api.ParseDuration(*ttl)
	if err != nil {
		return usageErrorf("source token create: --ttl: %v", err)
	}
	tok, err := c.CreateEnrollToken(ctx, name, api.EnrollTokenRequest{OneTime: *oneTime, TTL: d, Description: *description})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, tok)
	}
	kind, where := "reusable", "On each machine to enroll"
	if tok.OneTime {
		kind, where = "one-time", "On the machine to enroll"
	}
	valid := "until revoked"
	if tok.ExpiresAt != nil {
		valid = "until " + fmtTime(tok.ExpiresAt)
	}
	fmt.Fprintf(e.stdout, "Created %s enrollment token %s of node source %s, valid %s.\n", kind, tok.ID, tok.Source, valid)
	fmt.Fprintf(e.stdout, "Token (shown only this once): %s\n\n", tok.Token)
	fmt.Fprintf(e.stdout, "%s, run:\n  shrike node join --server %s --token %s\n", where, c.Addr(), tok.Token)
	return nil
}

// cmdSourceTokenLs is `shrike source token ls`.
func cmdSourceTokenLs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "source token ls", "NAME [--json]",
		"List the enrollment tokens of a node source (its admins): id, one-time or\n"+
			"reusable, expiry, how many nodes joined with it, who created it. Secrets\n"+
			"are never shown again.",
		"shrike source token ls ws")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the tokens as JSON")
	name, c, err := sourceTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	toks, err := c.ListEnrollTokens(ctx, name)
	if err != nil {
		return err
	}
	if *asJSON {
		if toks == nil {
			toks = []api.EnrollToken{}
		}
		return printJSON(e.stdout, toks)
	}
	printTokens(e, toks, "")
	return nil
}

// cmdSourceTokenRevoke is `shrike source token revoke`.
func cmdSourceTokenRevoke(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "source token revoke", "NAME ID",
		"Revoke an enrollment token (its source's admins): no machine can join with it\n"+
			"any more. Nodes that already joined keep their own credentials; remove them\n"+
			"with `shrike node rm`.",
		"shrike source token revoke ws tok-3")
	server := serverFlag(fs)
	pos, err := parseArgs(fs, args, 2)
	if err != nil {
		return err
	}
	name, err := parseSourceName(pos[0])
	if err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	if err = c.RevokeEnrollToken(ctx, name, pos[1]); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Revoked enrollment token %s of node source %s.\n", pos[1], name)
	return nil
}
