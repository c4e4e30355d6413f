package dataspace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// Walk lists every regular file of the space that sel selects, at any
// depth, sorted by path ("/"-separated, relative to the space root).
// Symbolic links and the package's hidden files are never listed or
// followed. A file's SHA256 is set when it is cheap to know (cached, or a
// small file).
func (sp *Space) Walk(sel Selector) ([]api.SpaceEntry, error) {
	return sp.walk("", sel, false)
}

// walk lists the selected files under directory rel; with sums, every
// file's sha256 is filled in (computed and cached when missing).
func (sp *Space) walk(rel string, sel Selector, sums bool) ([]api.SpaceEntry, error) {
	m, err := sel.compile()
	if err != nil {
		return nil, err
	}
	segs, err := sp.check(rel)
	if err != nil {
		return nil, err
	}
	root, err := sp.openRoot()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	start := filepath.Join(append([]string{sp.dir}, segs...)...)
	out := []api.SpaceEntry{}
	err = filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				if p == start {
					return sp.notFound(rel)
				}
				return nil // removed meanwhile
			}
			return err
		}
		if p == start {
			if !d.IsDir() {
				return fail(ErrBadPath, "%q is a file, not a directory", rel)
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), reservedPrefix) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		r, _ := filepath.Rel(sp.dir, p)
		fsegs := strings.Split(filepath.ToSlash(r), "/")
		if d.IsDir() {
			if !m.descend(fsegs) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !m.match(fsegs) {
			return nil
		}
		e, err := sp.walkEntry(root, fsegs, d, sums)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, wrapf(err, "dataspace: walking the %s space", sp.name)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// walkEntry describes one walked file, with its checksum when sums.
func (sp *Space) walkEntry(root *os.Root, segs []string, d fs.DirEntry, sums bool) (api.SpaceEntry, error) {
	if !sums {
		fi, err := d.Info()
		if err != nil {
			return api.SpaceEntry{}, err
		}
		e := entry(segs, fi)
		e.SHA256 = knownSum(root, segs, fi)
		return e, nil
	}
	f, err := root.Open(relPath(segs))
	if err != nil {
		return api.SpaceEntry{}, err
	}
	defer f.Close()
	sum, fi, err := checksum(root, segs, f)
	if err != nil {
		return api.SpaceEntry{}, err
	}
	e := entry(segs, fi)
	e.SHA256 = sum
	return e, nil
}
