package main

import (
	"context"
	"fmt"

	"github.com/shrike-grid/shrike/api"
)

// cmdLogin is `shrike login`.
func cmdLogin(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "login", "[--server URL] [--user NAME]",
		"Log in and save the server, user and token to the credentials file, so\n"+
			"later commands need no flags. The password comes from $"+envPassword+" or a prompt.",
		"shrike login --server http://127.0.0.1:8080 --user alice")
	server := serverFlag(fs)
	user := fs.String("user", "", "user name (default the one saved by the last login)")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	saved, err := loadCredentials(e)
	if err != nil {
		return err
	}
	addr := firstOf(*server, e.getenv(envAddr), saved.Server)
	if addr == "" {
		return usageErrorf("login: no server: pass --server URL or set %s", envAddr)
	}
	name := firstOf(*user, saved.User)
	if name == "" {
		return usageErrorf("login: pass --user NAME")
	}
	pass, err := e.secret(envPassword, "Password for "+name+": ")
	if err != nil {
		return err
	}
	c := api.NewClient(addr, "")
	resp, err := c.Login(ctx, name, pass)
	if err != nil {
		return err
	}
	if err := saveCredentials(e, credentials{Server: c.Addr(), User: resp.Username, Token: resp.Token}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Logged in to %s as %s (%s) until %s.\n",
		c.Addr(), resp.Username, resp.Role, fmtTime(&resp.ExpiresAt))
	return nil
}
