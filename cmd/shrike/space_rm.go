package main

import (
	"context"
	"fmt"

	"github.com/shrike-grid/shrike/api"
)

// cmdSpaceRm is `shrike space rm`.
func cmdSpaceRm(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "space rm", "[-r] PATH",
		"Remove a file or an empty directory from a data space; with -r, a directory\n"+
			"and everything in it.\n"+spaceRefHelp,
		"shrike space rm -r user:old-results/")
	server := serverFlag(fs)
	recursive := fs.Bool("r", false, "remove a directory and everything in it")
	refs, c, err := spaceTarget(e, fs, server, args, 1)
	if err != nil {
		return err
	}
	ref := refs[0]
	if ref.path == "" {
		return usageErrorf("space rm: refusing to remove the root of the %s space", ref.space)
	}
	if err := c.Space(ref.space).Remove(ctx, ref.path, *recursive); err != nil {
		if !*recursive && api.IsCode(err, api.CodeConflict) {
			return fmt.Errorf("%w\n(use shrike space rm -r to remove a directory and everything in it)", err)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "Removed %s.\n", ref)
	return nil
}
