package dataspace

import (
	"errors"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// Space is one data space: a directory of the Store that callers address
// with "/"-separated paths relative to its root. Every method checks its
// paths (see Resolve) and goes through an os.Root of the space, so no
// path or link can reach outside it.
type Space struct {
	store *Store
	name  string // api.SpaceGlobal, SpaceUser, SpaceInput or SpaceOutput
	dir   string // absolute
	owner string // whose quota writes count against; "" none
	jobID int64  // input and output spaces

	// A sub-space (see Sub) also keeps the root of the space it was cut
	// from and the segments from there down to dir; base is "" otherwise.
	base   string
	prefix []string
}

// Name is the space's kind: "global", "user", "input" or "output".
func (sp *Space) Name() string { return sp.name }

// Dir is the space's absolute root directory.
func (sp *Space) Dir() string { return sp.dir }

// Owner is the user whose quota writes to the space count against ("" for
// spaces without quota: GLOBAL and INPUT).
func (sp *Space) Owner() string { return sp.owner }

// openRoot opens the space root for traversal-safe access.
func (sp *Space) openRoot() (*os.Root, error) {
	if sp.base != "" {
		return sp.openSubRoot()
	}
	r, err := os.OpenRoot(sp.dir)
	if err != nil {
		return nil, wrapf(err, "dataspace: opening %s space", sp.name)
	}
	return r, nil
}

// check splits and resolves rel (refusing escapes and links).
func (sp *Space) check(rel string) ([]string, error) {
	segs, err := splitRel(rel)
	if err != nil {
		return nil, err
	}
	if _, err := sp.resolveSegs(rel, segs); err != nil {
		return nil, err
	}
	return segs, nil
}

func (sp *Space) notFound(rel string) error {
	return fail(ErrNotFound, "no %q in the %s space", rel, sp.name)
}

// entry builds the listing entry of segs from its file info.
func entry(segs []string, fi fs.FileInfo) api.SpaceEntry {
	e := api.SpaceEntry{Path: strings.Join(segs, "/"), Dir: fi.IsDir(), ModTime: fi.ModTime().UTC()}
	if !e.Dir {
		e.Size = fi.Size()
	}
	return e
}

// Stat describes the file or directory at rel (a file's SHA256 when it is
// cheap to know: cached, or a small file).
func (sp *Space) Stat(rel string) (api.SpaceEntry, error) {
	segs, err := sp.check(rel)
	if err != nil {
		return api.SpaceEntry{}, err
	}
	root, err := sp.openRoot()
	if err != nil {
		return api.SpaceEntry{}, err
	}
	defer root.Close()
	fi, err := root.Lstat(relPath(segs))
	if errors.Is(err, fs.ErrNotExist) {
		return api.SpaceEntry{}, sp.notFound(rel)
	}
	if err != nil {
		return api.SpaceEntry{}, wrapf(err, "dataspace: stat %q", rel)
	}
	e := entry(segs, fi)
	if fi.Mode().IsRegular() {
		e.SHA256 = knownSum(root, segs, fi)
	}
	return e, nil
}

// Open opens the regular file at rel for reading.
func (sp *Space) Open(rel string) (*os.File, error) {
	segs, err := sp.check(rel)
	if err != nil {
		return nil, err
	}
	root, err := sp.openRoot()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return sp.openFile(root, rel, segs)
}

func (sp *Space) openFile(root *os.Root, rel string, segs []string) (*os.File, error) {
	f, err := root.Open(relPath(segs))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, sp.notFound(rel)
	}
	if err != nil {
		return nil, wrapf(err, "dataspace: opening %q", rel)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, wrapf(err, "dataspace: opening %q", rel)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fail(ErrBadPath, "%q is a directory, not a file", rel)
	}
	return f, nil
}

// List returns the entries of the directory rel ("" for the root), sorted
// by name; the package's own hidden files and anything that is neither a
// regular file nor a directory are left out.
func (sp *Space) List(rel string) ([]api.SpaceEntry, error) {
	segs, err := sp.check(rel)
	if err != nil {
		return nil, err
	}
	root, err := sp.openRoot()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	d, err := root.Open(relPath(segs))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, sp.notFound(rel)
	}
	if err != nil {
		return nil, wrapf(err, "dataspace: listing %q", rel)
	}
	defer d.Close()
	if fi, err := d.Stat(); err != nil || !fi.IsDir() {
		return nil, fail(ErrBadPath, "%q is a file, not a directory", rel)
	}
	des, err := d.ReadDir(-1)
	if err != nil {
		return nil, wrapf(err, "dataspace: listing %q", rel)
	}
	out := []api.SpaceEntry{}
	for _, de := range des {
		if strings.HasPrefix(de.Name(), reservedPrefix) || !(de.IsDir() || de.Type().IsRegular()) {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		child := append(segs[:len(segs):len(segs)], de.Name())
		e := entry(child, fi)
		if !e.Dir {
			e.SHA256 = knownSum(root, child, fi)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Mkdir creates the directory rel and its parents; an existing directory
// is fine, an existing file is ErrExists.
func (sp *Space) Mkdir(rel string) error {
	segs, err := sp.check(rel)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return nil
	}
	root, err := sp.openRoot()
	if err != nil {
		return err
	}
	defer root.Close()
	if fi, err := root.Lstat(relPath(segs)); err == nil && !fi.IsDir() {
		return fail(ErrExists, "%q exists and is a file", rel)
	}
	if err := root.MkdirAll(relPath(segs), 0o755); err != nil {
		return wrapf(err, "dataspace: mkdir %q", rel)
	}
	return nil
}

// Remove deletes the file or the directory tree at rel (not the root).
func (sp *Space) Remove(rel string) error {
	segs, err := sp.check(rel)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return fail(ErrBadPath, "cannot remove the root of the %s space", sp.name)
	}
	root, err := sp.openRoot()
	if err != nil {
		return err
	}
	defer root.Close()
	st := sp.store
	if err := st.prepare(sp.owner); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	fi, err := root.Lstat(relPath(segs))
	if errors.Is(err, fs.ErrNotExist) {
		return sp.notFound(rel)
	}
	if err != nil {
		return wrapf(err, "dataspace: removing %q", rel)
	}
	var size int64
	if fi.IsDir() {
		abs, _ := sp.resolveSegs(rel, segs)
		if size, err = treeSize(abs); err != nil {
			return err
		}
		err = root.RemoveAll(relPath(segs))
	} else {
		size = fi.Size()
		err = root.Remove(relPath(segs))
		_ = root.Remove(sidecarPath(segs))
	}
	if err != nil {
		return wrapf(err, "dataspace: removing %q", rel)
	}
	st.releaseLocked(sp.owner, size)
	return nil
}

// Move renames the file or directory from to to (whose parents are
// created); to must not exist.
func (sp *Space) Move(from, to string) error {
	fsegs, err := sp.check(from)
	if err != nil {
		return err
	}
	tsegs, err := sp.check(to)
	if err != nil {
		return err
	}
	if len(fsegs) == 0 || len(tsegs) == 0 {
		return fail(ErrBadPath, "cannot move the root of the %s space", sp.name)
	}
	if len(tsegs) >= len(fsegs) && strings.Join(tsegs[:len(fsegs)], "/") == strings.Join(fsegs, "/") {
		return fail(ErrBadPath, "cannot move %q into itself (%q)", from, to)
	}
	root, err := sp.openRoot()
	if err != nil {
		return err
	}
	defer root.Close()
	if len(tsegs) > 1 {
		if err := sp.Mkdir(strings.Join(tsegs[:len(tsegs)-1], "/")); err != nil {
			return err
		}
	}
	st := sp.store
	st.mu.Lock()
	defer st.mu.Unlock()
	fi, err := root.Lstat(relPath(fsegs))
	if errors.Is(err, fs.ErrNotExist) {
		return sp.notFound(from)
	}
	if err != nil {
		return wrapf(err, "dataspace: moving %q", from)
	}
	if _, err := root.Lstat(relPath(tsegs)); err == nil {
		return fail(ErrExists, "cannot move %q to %q: it exists", from, to)
	}
	sum := ""
	if fi.Mode().IsRegular() {
		sum = cachedSum(root, fsegs, fi)
	}
	if err := root.Rename(relPath(fsegs), relPath(tsegs)); err != nil {
		return wrapf(err, "dataspace: moving %q to %q", from, to)
	}
	if fi.Mode().IsRegular() {
		_ = root.Remove(sidecarPath(fsegs))
		if sum != "" {
			writeSidecar(root, tsegs, fi, sum)
		}
	}
	return nil
}
