package main

import (
	"context"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// cmdAdminUserLs is `shrike admin user ls`.
func cmdAdminUserLs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "admin user ls", "[--json]", "List user accounts (admins only).", "shrike admin user ls")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the users as JSON")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	users, err := c.ListUsers(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if users == nil {
			users = []api.User{}
		}
		return printJSON(e.stdout, users)
	}
	tw := newTable(e.stdout, "NAME", "ROLE", "GROUPS", "CREATED")
	for _, u := range users {
		row(tw, u.Name, u.Role, orDash(strings.Join(u.Groups, ",")), fmtTime(&u.CreatedAt))
	}
	return tw.Flush()
}
