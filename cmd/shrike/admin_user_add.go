package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// cmdAdminUserAdd is `shrike admin user add`.
func cmdAdminUserAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "admin user add", "NAME [--role user|admin] [--group G]...",
		"Create a user account (admins only). The password comes from\n"+
			"$"+envNewPassword+" or is asked twice. Groups name the user in node-source\n"+
			"access lists (group:NAME).",
		"SHRIKE_NEW_PASSWORD=s3cret shrike admin user add bob --role user --group physics")
	server := serverFlag(fs)
	role := fs.String("role", api.RoleUser, "the account's role: user or admin")
	var groups listFlag
	fs.Var(&groups, "group", "a group the user belongs to (repeatable, or comma-separated)")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if *role != api.RoleUser && *role != api.RoleAdmin {
		return usageErrorf("admin user add: --role must be user or admin, got %q", *role)
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	pass, err := newPassword(e, pos[0])
	if err != nil {
		return err
	}
	u, err := c.CreateUser(ctx, api.CreateUserRequest{Name: pos[0], Password: pass, Role: *role, Groups: groups})
	if err != nil {
		return err
	}
	if len(u.Groups) > 0 {
		fmt.Fprintf(e.stdout, "Created user %s (%s; groups %s).\n", u.Name, u.Role, strings.Join(u.Groups, ", "))
		return nil
	}
	fmt.Fprintf(e.stdout, "Created user %s (%s).\n", u.Name, u.Role)
	return nil
}

// newPassword reads a new account's password from the environment, or asks
// for it twice.
func newPassword(e *env, name string) (string, error) {
	if v := e.getenv(envNewPassword); v != "" {
		return v, nil
	}
	pass, err := e.secret(envNewPassword, "Password for "+name+": ")
	if err != nil {
		return "", err
	}
	again, err := e.secret(envNewPassword, "Again: ")
	if err != nil {
		return "", err
	}
	if pass != again {
		return "", errors.New("the passwords differ")
	}
	return pass, nil
}
