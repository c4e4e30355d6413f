package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/shrike-grid/shrike/api"
)

// cmdJobOutput is `shrike job output`.
func cmdJobOutput(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job output", "ID [--to DIR] [--include GLOB]... [--exclude GLOB]... [--list]",
		"Download a job's output space (the files its tasks' output_files pushed)\n"+
			"into DIR, default ./job-ID-output. Globs are relative to the space's root;\n"+
			"** matches any number of directories. Files are checked against the\n"+
			"server's sha256 and written whole or not at all; existing ones are replaced.",
		"shrike job output 42 --include 'results/**/*.csv' --to ./results")
	server := serverFlag(fs)
	to := fs.String("to", "", "directory to write into (default ./job-ID-output)")
	var include, exclude listFlag
	fs.Var(&include, "include", "download only files matching this glob (repeatable)")
	fs.Var(&exclude, "exclude", "skip files matching this glob (repeatable)")
	listOnly := fs.Bool("list", false, "list the files instead of downloading them")
	id, c, err := jobTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	sc := c.JobSpace(id, api.SpaceOutput)
	list, err := sc.List(ctx, "", api.SpaceListOptions{Recursive: true, Include: include, Exclude: exclude})
	if err != nil {
		return err
	}
	if *listOnly {
		printSpaceEntries(e.stdout, list.Entries)
		return nil
	}
	dir := *to
	if dir == "" {
		dir = "job-" + strconv.FormatInt(id, 10) + "-output"
	}
	var st transferStats
	if err := downloadTree(ctx, e, sc, list.Entries, "", dir, &st); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Downloaded %s of job %d's output to %s.\n", st, id, dir)
	return nil
}
