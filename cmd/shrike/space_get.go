package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/shrike-grid/shrike/api"
)

// cmdSpaceGet is `shrike space get`.
func cmdSpaceGet(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "space get", "PATH [LOCAL]",
		"Download a file, or a directory and everything in it, from a data space.\n"+
			"When LOCAL is a directory (default: the current one), PATH goes into it\n"+
			"under its own name; otherwise PATH becomes LOCAL. LOCAL - writes a file to\n"+
			"standard output. Files are checked against the server's sha256 and\n"+
			"written whole or not at all.\n"+spaceRefHelp,
		"shrike space get global:datasets/genomes ./data")
	server := serverFlag(fs)
	pos, err := parseArgs(fs, args, -1)
	if err != nil {
		return err
	}
	if len(pos) != 1 && len(pos) != 2 {
		return usageErrorf("space get: want PATH [LOCAL], got %d argument(s) (run 'shrike space get -h')", len(pos))
	}
	ref, err := parseSpaceRef(pos[0])
	if err != nil {
		return err
	}
	local := "."
	if len(pos) == 2 {
		local = pos[1]
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	sc := c.Space(ref.space)
	entry, err := sc.Stat(ctx, ref.path)
	if err != nil {
		return err
	}
	if local == "-" {
		if entry.Dir {
			return usageErrorf("space get: %s is a directory; standard output takes one file", ref)
		}
		_, err = sc.Get(ctx, ref.path, 0, e.stdout)
		return err
	}
	into, err := isDir(local)
	if err != nil {
		return err
	}
	if into {
		local = filepath.Join(local, ref.base())
	}
	var st transferStats
	if entry.Dir {
		list, err := sc.List(ctx, ref.path, api.SpaceListOptions{Recursive: true})
		if err != nil {
			return err
		}
		err = downloadTree(ctx, e, sc, list.Entries, ref.path, local, &st)
	} else {
		entry.Path = ref.path
		err = downloadFile(ctx, e, sc, entry, local, &st)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Downloaded %s to %s.\n", st, local)
	return nil
}
