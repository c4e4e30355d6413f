package main

import (
	"context"
	"flag"
	"path"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// spaceCommand dispatches `shrike space ...`.
func spaceCommand(ctx context.Context, e *env, args []string) error {
	return runGroup(ctx, e, "shrike space", []command{
		{"ls", "list a directory of a data space", cmdSpaceLs},
		{"put", "upload files or directories", cmdSpacePut},
		{"get", "download files or directories", cmdSpaceGet},
		{"rm", "remove a file or directory", cmdSpaceRm},
		{"mv", "move a file or directory within its space", cmdSpaceMv},
		{"mkdir", "make a directory", cmdSpaceMkdir},
	}, args)
}

// spaceRefHelp explains remote path arguments in the usage of every
// space command.
const spaceRefHelp = "A remote PATH is global:PATH (shared; written by admins) or user:PATH (yours,\n" +
	"the default); a path with a colon needs the prefix (user:a:b)."

// spaceRef is a remote path argument: a space and a path in it.
type spaceRef struct {
	space string
	path  string // relative to the space root, no leading or trailing "/"; "" is the root
	dir   bool   // the argument ended in "/" or named the root
}

// parseSpaceRef reads [global:|user:]PATH; PATH alone is in the user
// space. Any other prefix before a colon is refused, so that a typo
// ("globl:x") is not taken for a file name.
func parseSpaceRef(arg string) (spaceRef, error) {
	ref := spaceRef{space: api.SpaceUser, path: arg}
	if prefix, rest, ok := strings.Cut(arg, ":"); ok && !strings.Contains(prefix, "/") {
		switch prefix {
		case api.SpaceGlobal, api.SpaceUser:
			ref.space, ref.path = prefix, rest
		default:
			return spaceRef{}, usageErrorf("unknown space %q in %q: want global:PATH or user:PATH "+
				"(write user:%s for a path with a colon)", prefix, arg, arg)
		}
	}
	ref.dir = ref.path == "" || strings.HasSuffix(ref.path, "/")
	ref.path = strings.Trim(ref.path, "/")
	ref.dir = ref.dir || ref.path == ""
	return ref, nil
}

// String writes the reference as the commands print it ("user:data/a").
func (r spaceRef) String() string { return r.space + ":" + r.path }

// join returns the reference to name under r.
func (r spaceRef) join(name string) spaceRef {
	return spaceRef{space: r.space, path: strings.TrimPrefix(path.Join(r.path, name), "/")}
}

// base is the last element of the path; the space's name for its root.
func (r spaceRef) base() string {
	if r.path == "" {
		return r.space
	}
	return path.Base(r.path)
}

// spaceTarget parses a space command's flags and its nargs remote
// arguments, and returns them with a client for the server.
func spaceTarget(e *env, fs *flag.FlagSet, server *string, args []string, nargs int) ([]spaceRef, *api.Client, error) {
	pos, err := parseArgs(fs, args, nargs)
	if err != nil {
		return nil, nil, err
	}
	refs := make([]spaceRef, len(pos))
	for i, p := range pos {
		if refs[i], err = parseSpaceRef(p); err != nil {
			return nil, nil, err
		}
	}
	c, err := newClient(e, *server)
	return refs, c, err
}
