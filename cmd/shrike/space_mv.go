package main

import (
	"context"
	"fmt"
)

// cmdSpaceMv is `shrike space mv`.
func cmdSpaceMv(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "space mv", "FROM TO",
		"Move (rename) a file or directory within its data space. When TO is a\n"+
			"directory (or ends in /), FROM moves into it.\n"+spaceRefHelp,
		"shrike space mv user:results/run1 user:archive/")
	server := serverFlag(fs)
	refs, c, err := spaceTarget(e, fs, server, args, 2)
	if err != nil {
		return err
	}
	from, to := refs[0], refs[1]
	if from.space != to.space {
		return usageErrorf("space mv: cannot move between spaces (%s to %s): get and put instead", from.space, to.space)
	}
	if from.path == "" {
		return usageErrorf("space mv: cannot move the root of the %s space", from.space)
	}
	sc := c.Space(from.space)
	if !to.dir {
		// Like mv(1): an existing directory takes FROM in.
		entry, err := sc.Stat(ctx, to.path)
		to.dir = err == nil && entry.Dir
	}
	if to.dir {
		to = to.join(from.base())
	}
	if _, err := sc.Move(ctx, from.path, to.path); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Moved %s to %s.\n", from, to)
	return nil
}
