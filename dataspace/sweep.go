package dataspace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// Sweep deletes what interrupted work left behind: partial uploads and
// temporary files not written to since now-maxAge (their client gave up;
// a client that comes back later starts afresh), and checksum sidecars
// whose file is gone. Their bytes leave their owner's usage. It returns
// how many files it deleted; the server calls it now and then.
func (st *Store) Sweep(now time.Time, maxAge time.Duration) (int, error) {
	cutoff := now.Add(-maxAge)
	removed := 0
	err := filepath.WalkDir(st.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		name := d.Name()
		if !d.Type().IsRegular() || !strings.HasPrefix(name, reservedPrefix) {
			return nil
		}
		if strings.HasPrefix(name, sumPrefix) {
			if st.orphanSidecar(p) && os.Remove(p) == nil {
				removed++
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil || !fi.ModTime().Before(cutoff) || st.uploading(p) {
			return nil
		}
		if err := os.Remove(p); err != nil {
			return nil
		}
		removed++
		if owner := st.ownerOf(p); owner != "" {
			st.release(owner, fi.Size())
		}
		return nil
	})
	if err != nil {
		return removed, wrapf(err, "dataspace: sweeping %s", st.root)
	}
	return removed, nil
}

// orphanSidecar reports whether the sidecar at p names a file that is
// gone.
func (st *Store) orphanSidecar(p string) bool {
	data, err := os.ReadFile(p)
	if err != nil {
		return false
	}
	f := strings.SplitN(strings.TrimSuffix(string(data), "\n"), " ", 5)
	if len(f) != 5 || badSegmentReason(f[4]) != "" || strings.Contains(f[4], "/") {
		return true
	}
	_, err = os.Lstat(filepath.Join(filepath.Dir(p), f[4]))
	return errors.Is(err, fs.ErrNotExist)
}

// uploading reports whether a Put is writing the partial upload at p.
func (st *Store) uploading(p string) bool {
	st.locks.mu.Lock()
	defer st.locks.mu.Unlock()
	_, held := st.locks.m[p]
	return held
}

// ownerOf is the user whose usage counts the file at p, or "".
func (st *Store) ownerOf(p string) string {
	rel, err := filepath.Rel(st.root, p)
	if err != nil {
		return ""
	}
	segs := strings.Split(filepath.ToSlash(rel), "/")
	switch {
	case len(segs) > 2 && segs[0] == "users":
		return segs[1]
	case len(segs) > 3 && segs[0] == "jobs" && segs[2] == api.SpaceOutput:
		owner, _ := readOwner(filepath.Join(st.root, "jobs", segs[1]))
		return owner
	}
	return ""
}
