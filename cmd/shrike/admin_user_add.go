package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/shrike-grid/shrike/api"
)

// cmdAdminUserAdd is `shrike admin user add`.
func cmdAdminUserAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "admin user add", "NAME [--role user|admin]",
		"Create a user account (admins only). The password comes from\n"+
			"$"+envNewPassword+" or is asked twice.",
		"SHRIKE_NEW_PASSWORD=s3cret shrike admin user add bob --role user")
	server := serverFlag(fs)
	role := fs.String("role", api.RoleUser, "the account's role: user or admin")
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
	u, err := c.CreateUser(ctx, api.CreateUserRequest{Name: pos[0], Password: pass, Role: *role})
	if err != nil {
		return err
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
