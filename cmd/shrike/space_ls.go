package main

import (
	"context"
	"io"

	"github.com/shrike-grid/shrike/api"
)

// cmdSpaceLs is `shrike space ls`.
func cmdSpaceLs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "space ls", "[-r] [--json] [PATH]",
		"List a directory of a data space (default your user space's root), or show\n"+
			"one file. With -r, list every file under the directory.\n"+spaceRefHelp,
		"shrike space ls global:datasets/")
	server := serverFlag(fs)
	recursive := fs.Bool("r", false, "list every file under the directory")
	asJSON := fs.Bool("json", false, "print the listing as JSON")
	pos, err := parseArgs(fs, args, -1)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErrorf("space ls: want at most 1 argument, got %d (run 'shrike space ls -h')", len(pos))
	}
	ref := spaceRef{space: api.SpaceUser, dir: true}
	if len(pos) == 1 {
		if ref, err = parseSpaceRef(pos[0]); err != nil {
			return err
		}
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	sc := c.Space(ref.space)
	list := api.SpaceList{Space: ref.space, Path: ref.path}
	entry, err := sc.Stat(ctx, ref.path)
	if err != nil {
		return err
	}
	if entry.Dir {
		list, err = sc.List(ctx, ref.path, api.SpaceListOptions{Recursive: *recursive})
		if err != nil {
			return err
		}
	} else {
		list.Entries = []api.SpaceEntry{entry}
	}
	if *asJSON {
		return printJSON(e.stdout, list)
	}
	printSpaceEntries(e.stdout, list.Entries)
	return nil
}

// printSpaceEntries writes a listing as a table; directories end in "/".
func printSpaceEntries(w io.Writer, entries []api.SpaceEntry) {
	tw := newTable(w, "SIZE", "MODIFIED", "PATH")
	for _, en := range entries {
		size, name := api.HumanBytes(en.Size), en.Path
		if en.Dir {
			size, name = "-", name+"/"
		}
		row(tw, size, fmtTime(&en.ModTime), name)
	}
	_ = tw.Flush()
}
