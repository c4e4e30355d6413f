package dataspace

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/shrike-grid/shrike/api"
)

// ownerUsage is the running count of the bytes an owner holds (USER space
// plus the OUTPUT spaces of their jobs, partial uploads included). It is
// computed by walking those trees the first time the owner writes, then
// kept up to date by every write and removal.
type ownerUsage struct {
	load   sync.Mutex // held while the first walk runs
	loaded bool       // guarded by Store.mu
	bytes  int64      // guarded by Store.mu
}

// prepare loads owner's usage before a change to their files, so that
// the change is counted whatever the first walk saw.
func (st *Store) prepare(owner string) error {
	if !st.quotaOn(owner) {
		return nil
	}
	_, err := st.loaded(owner)
	return err
}

// quotaOn reports whether writes by owner are counted.
func (st *Store) quotaOn(owner string) bool {
	return owner != "" && st.opts.UserQuota > 0
}

// loaded returns owner's usage record, walking their trees on first use.
func (st *Store) loaded(owner string) (*ownerUsage, error) {
	st.mu.Lock()
	u := st.usage[owner]
	if u == nil {
		u = &ownerUsage{}
		st.usage[owner] = u
	}
	done := u.loaded
	st.mu.Unlock()
	if done {
		return u, nil
	}
	u.load.Lock()
	defer u.load.Unlock()
	st.mu.Lock()
	done = u.loaded
	st.mu.Unlock()
	if done {
		return u, nil
	}
	n, err := st.walkUsage(owner)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	u.bytes += n
	u.loaded = true
	st.mu.Unlock()
	return u, nil
}

// walkUsage adds up the bytes owner holds on disk now.
func (st *Store) walkUsage(owner string) (int64, error) {
	total, err := treeSize(filepath.Join(st.root, "users", owner))
	if err != nil {
		return 0, err
	}
	jobs, err := os.ReadDir(filepath.Join(st.root, "jobs"))
	if err != nil {
		return 0, wrapf(err, "dataspace: computing usage of %s", owner)
	}
	for _, j := range jobs {
		if !j.IsDir() {
			continue
		}
		dir := filepath.Join(st.root, "jobs", j.Name())
		if o, err := readOwner(dir); err != nil || o != owner {
			continue
		}
		n, err := treeSize(filepath.Join(dir, api.SpaceOutput))
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// treeSize adds up the regular files under dir (checksum sidecars aside);
// a missing dir holds nothing.
func treeSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), sumPrefix) {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		total += fi.Size()
		return nil
	})
	if err != nil {
		return 0, wrapf(err, "dataspace: measuring %s", dir)
	}
	return total, nil
}

// reserve counts n more bytes for owner, or fails with ErrQuota when that
// would pass the quota by more than slack (the size of a file the write
// replaces, freed when it completes).
func (st *Store) reserve(owner string, n, slack int64) error {
	if !st.quotaOn(owner) || n <= 0 {
		return nil
	}
	u, err := st.loaded(owner)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if u.bytes+n-slack > st.opts.UserQuota {
		return st.quotaError(owner, u.bytes, n)
	}
	u.bytes += n
	return nil
}

// fits reports (as an ErrQuota error) whether n more bytes would pass
// owner's quota, without counting them.
func (st *Store) fits(owner string, n int64) error {
	if !st.quotaOn(owner) || n <= 0 {
		return nil
	}
	u, err := st.loaded(owner)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if u.bytes+n > st.opts.UserQuota {
		return st.quotaError(owner, u.bytes, n)
	}
	return nil
}

func (st *Store) quotaError(owner string, used, more int64) error {
	return fail(ErrQuota, "quota exceeded: %s uses %s of %s (user space and job outputs); writing %s more does not fit",
		owner, FormatBytes(used), FormatBytes(st.opts.UserQuota), FormatBytes(more))
}

// releaseLocked uncounts n bytes of owner; the caller holds st.mu.
func (st *Store) releaseLocked(owner string, n int64) {
	if !st.quotaOn(owner) || n == 0 {
		return
	}
	if u := st.usage[owner]; u != nil && u.loaded {
		u.bytes -= n
	}
}

// release uncounts n bytes of owner.
func (st *Store) release(owner string, n int64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.releaseLocked(owner, n)
}

// Usage returns the bytes owner holds: their USER space plus the OUTPUT
// spaces of their jobs, partial uploads included.
func (st *Store) Usage(owner string) (int64, error) {
	if err := checkName("owner", owner); err != nil {
		return 0, err
	}
	if !st.quotaOn(owner) {
		return st.walkUsage(owner)
	}
	u, err := st.loaded(owner)
	if err != nil {
		return 0, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return u.bytes, nil
}
