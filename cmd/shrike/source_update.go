package main

import (
	"context"

	"github.com/shrike-grid/shrike/api"
)

// cmdSourceUpdate is `shrike source update`.
func cmdSourceUpdate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "source update",
		"NAME [--infra-param K=V]... [--policy-param K=V]... [--use P]... [--admin P]... [--node-token T]... [flags]",
		"Change a node source (its admins): each parameter given replaces the current\n"+
			"one (K= removes it, back to its default); --use, --admin and --node-token\n"+
			"replace their whole list (an empty value empties it). A deployed source\n"+
			"applies the change at once. The kinds cannot change: create another source.",
		"shrike source update lab --policy-param max_nodes=8 --use group:physics --use user:bob")
	server := serverFlag(fs)
	infraParams := addParamFlags(fs, "infra", "infrastructure")
	policyParams := addParamFlags(fs, "policy", "policy")
	access := addAccessFlags(fs)
	description := fs.String("description", "", "what the source is, for people")
	asJSON := fs.Bool("json", false, "print the source as JSON")
	name, c, err := sourceTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	var u api.NodeSourceUpdate
	if u.InfrastructureParams, err = infraParams.read(); err != nil {
		return err
	}
	if u.PolicyParams, err = policyParams.read(); err != nil {
		return err
	}
	set := given(fs)
	if set["description"] {
		u.Description = description
	}
	if set["node-token"] {
		tokens := listOrEmpty(access.nodeTokens)
		u.NodeTokens = &tokens
	}
	if set["use"] || set["admin"] {
		if u.Access, err = newAccess(ctx, c, name, set, access); err != nil {
			return err
		}
	}
	if u.InfrastructureParams == nil && u.PolicyParams == nil && u.Description == nil && u.NodeTokens == nil && u.Access == nil {
		return usageErrorf("source update: nothing to change (run 'shrike source update -h')")
	}
	src, err := c.UpdateSource(ctx, name, u)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, src)
	}
	printSourceLine(e, "Updated", src)
	return nil
}

// newAccess is a source's access with the lists given by flags replaced.
// The API replaces access whole, so the list not given is read first.
func newAccess(ctx context.Context, c *api.Client, name string, set map[string]bool, flags *accessFlags) (*api.SourceAccess, error) {
	cur, err := c.GetSource(ctx, name)
	if err != nil {
		return nil, err
	}
	acc := cur.Access
	if set["use"] {
		acc.Use = listOrEmpty(flags.use)
	}
	if set["admin"] {
		acc.Admin = listOrEmpty(flags.admin)
	}
	return &acc, nil
}
