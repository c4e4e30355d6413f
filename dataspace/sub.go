package dataspace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// ValidPath reports whether rel is a path the spaces accept (see
// splitRel): relative, "/"-separated, no "." or ".." or empty segment, no
// NUL, backslash, control character or reserved name. "" is the root.
func ValidPath(rel string) error {
	_, err := splitRel(rel)
	return err
}

// ParseRef reads a reference to a folder of the USER or GLOBAL space, as a
// job's input_space and output_space give it: "user:PATH" or
// "global:PATH", PATH relative to that space and "" for the whole space.
// It returns the space (api.SpaceUser or api.SpaceGlobal) and PATH in
// canonical form (no trailing "/", "." read as "").
func ParseRef(ref string) (space, rel string, err error) {
	space, rel, ok := strings.Cut(ref, ":")
	if !ok || (space != api.SpaceUser && space != api.SpaceGlobal) {
		return "", "", fail(ErrBadPath, "space reference %q: want user:PATH or global:PATH", ref)
	}
	segs, err := splitRel(rel)
	if err != nil {
		return "", "", err
	}
	return space, strings.Join(segs, "/"), nil
}

// Sub returns the space rooted at the directory rel of this one, creating
// it when missing. The sub-space has the same name and owner (its writes
// count against the same quota) and the same safety: its paths cannot
// leave its own root, and no segment from the top space's root down to a
// file may be a symbolic link, the segments leading to the sub-root
// included. Sub("") is a copy of sp.
func (sp *Space) Sub(rel string) (*Space, error) {
	segs, err := sp.check(rel)
	if err != nil {
		return nil, err
	}
	if err := sp.Mkdir(rel); err != nil {
		return nil, err
	}
	sub := *sp
	if len(segs) == 0 {
		return &sub, nil
	}
	if sub.base == "" {
		sub.base = sp.dir
	}
	sub.prefix = append(append([]string(nil), sp.prefix...), segs...)
	sub.dir = filepath.Join(sp.dir, filepath.Join(segs...))
	// The directory may have been replaced meanwhile: check it again.
	if err := sub.checkPrefix(rel); err != nil {
		return nil, err
	}
	return &sub, nil
}

// checkPrefix refuses a sub-space whose root is no longer a real
// directory reached without symbolic links from the top space's root.
func (sp *Space) checkPrefix(rel string) error {
	p := sp.base
	for i, s := range sp.prefix {
		p = filepath.Join(p, s)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return fail(ErrNotFound, "the root of this %s space (%s) is gone", sp.name, strings.Join(sp.prefix, "/"))
		}
		if err != nil {
			return wrapf(err, "dataspace: resolving %q", rel)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fail(ErrBadPath, "path %q not allowed: %s (above this space's root) is a symbolic link",
				rel, strings.Join(sp.prefix[:i+1], "/"))
		}
		if !fi.IsDir() {
			return fail(ErrNotFound, "the root of this %s space (%s) is not a directory", sp.name, strings.Join(sp.prefix, "/"))
		}
	}
	return nil
}

// openSubRoot opens the root of a sub-space through the top space's root,
// so that even a link created after the checks cannot lead out of it.
func (sp *Space) openSubRoot() (*os.Root, error) {
	if err := sp.checkPrefix(""); err != nil {
		return nil, err
	}
	top, err := os.OpenRoot(sp.base)
	if err != nil {
		return nil, wrapf(err, "dataspace: opening %s space", sp.name)
	}
	defer top.Close()
	r, err := top.OpenRoot(relPath(sp.prefix))
	if err != nil {
		return nil, wrapf(err, "dataspace: opening %s space", sp.name)
	}
	return r, nil
}
