package main

import (
	"context"
	"fmt"

	"github.com/shrike-grid/shrike/api"
)

// cmdLogout is `shrike logout`.
func cmdLogout(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "logout", "[--server URL]",
		"End the session on the server and forget the saved token (the server\n"+
			"and user stay saved for the next login).",
		"shrike logout")
	server := serverFlag(fs)
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	t, err := resolveTarget(e, *server)
	if err != nil {
		return err
	}
	// A token the server no longer knows is as good as logged out.
	if err = api.NewClient(t.server, t.token).Logout(ctx); err != nil && !api.IsCode(err, api.CodeUnauthorized) {
		return err
	}
	saved, err := loadCredentials(e)
	if err != nil {
		return err
	}
	if saved.Token == t.token {
		saved.Token = ""
		if err := saveCredentials(e, saved); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "Logged out of %s.\n", t.server)
	return nil
}
