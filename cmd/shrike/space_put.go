package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shrike-grid/shrike/api"
)

// cmdSpacePut is `shrike space put`.
func cmdSpacePut(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "space put", "LOCAL [PATH]",
		"Upload a file, or a directory and everything in it, to a data space. When\n"+
			"PATH is a directory (or ends in /, or is left out: your space's root),\n"+
			"LOCAL goes into it under its own name; otherwise LOCAL becomes PATH. An\n"+
			"existing file is replaced. LOCAL - reads standard input. Large files show\n"+
			"a progress bar on a terminal.\n"+spaceRefHelp,
		"shrike space put ./inputs user:runs/2025/")
	server := serverFlag(fs)
	pos, err := parseArgs(fs, args, -1)
	if err != nil {
		return err
	}
	if len(pos) != 1 && len(pos) != 2 {
		return usageErrorf("space put: want LOCAL [PATH], got %d argument(s) (run 'shrike space put -h')", len(pos))
	}
	ref := spaceRef{space: api.SpaceUser, dir: true}
	if len(pos) == 2 {
		if ref, err = parseSpaceRef(pos[1]); err != nil {
			return err
		}
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	sc := c.Space(ref.space)
	if !ref.dir {
		entry, err := sc.Stat(ctx, ref.path)
		if err != nil && !api.IsCode(err, api.CodeNotFound) {
			return err
		}
		ref.dir = err == nil && entry.Dir
	}
	var st transferStats
	dst, err := putLocal(ctx, e, sc, pos[0], ref, &st)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Uploaded %s to %s.\n", st, dst)
	return nil
}

// putLocal uploads local (a file, a directory, or - for standard input)
// to ref and returns where it went.
func putLocal(ctx context.Context, e *env, sc *api.SpaceClient, local string, ref spaceRef, st *transferStats) (spaceRef, error) {
	if local == "-" {
		if ref.dir {
			return ref, usageErrorf("space put: standard input needs a file PATH, not the directory %s/", ref)
		}
		n := &countingReader{r: e.stdin}
		if _, err := sc.Put(ctx, ref.path, n, -1, ""); err != nil {
			return ref, fmt.Errorf("uploading standard input to %s: %w", ref, err)
		}
		st.files, st.bytes = 1, n.n
		return ref, nil
	}
	fi, err := os.Stat(local)
	if err != nil {
		return ref, err
	}
	if ref.dir {
		abs, err := filepath.Abs(local)
		if err != nil {
			return ref, err
		}
		ref = ref.join(filepath.Base(abs))
	}
	if fi.IsDir() {
		return ref, uploadTree(ctx, e, sc, local, ref.path, st)
	}
	return ref, uploadFile(ctx, e, sc, local, ref.path, st)
}
