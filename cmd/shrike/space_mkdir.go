package main

import (
	"context"
	"fmt"
)

// cmdSpaceMkdir is `shrike space mkdir`.
func cmdSpaceMkdir(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "space mkdir", "PATH",
		"Make a directory in a data space, with its missing parents.\n"+spaceRefHelp,
		"shrike space mkdir user:results/2025")
	server := serverFlag(fs)
	refs, c, err := spaceTarget(e, fs, server, args, 1)
	if err != nil {
		return err
	}
	ref := refs[0]
	if ref.path == "" {
		return usageErrorf("space mkdir: want a directory under the root of the %s space", ref.space)
	}
	if _, err := c.Space(ref.space).Mkdir(ctx, ref.path); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Made %s/.\n", ref)
	return nil
}
