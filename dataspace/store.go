package dataspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/shrike-grid/shrike/api"
)

// Store is the server's tree of spaces under its data directory:
//
//	<root>/global                 the GLOBAL space
//	<root>/users/<user>           each USER space
//	<root>/jobs/<id>/input        a job's INPUT space
//	<root>/jobs/<id>/output       a job's OUTPUT space
//	<root>/jobs/<id>/.owner       the job's owner (quota accounting)
//
// A Store is safe for concurrent use. Lock order: a partial upload's key
// lock (locks), then ownerUsage.load, then mu; mu is never held while
// waiting for the others.
type Store struct {
	root string
	opts Options

	// mu serialises the last step of every write (rename into place,
	// usage update, checksum sidecar) and guards usage.
	mu    sync.Mutex
	usage map[string]*ownerUsage

	locks keyLocks // partial uploads being written
}

// Open opens (creating it when missing) the store at root.
func Open(root string, opts Options) (*Store, error) {
	if root == "" {
		return nil, badRequest("dataspace: empty store root")
	}
	if opts.UserQuota < 0 {
		return nil, badRequest("dataspace: user_quota must not be negative, got %d", opts.UserQuota)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, wrapf(err, "dataspace: store root %q", root)
	}
	for _, d := range []string{"global", "users", "jobs"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, wrapf(err, "dataspace: opening store")
		}
	}
	return &Store{root: abs, opts: opts, usage: map[string]*ownerUsage{}, locks: keyLocks{m: map[string]chan struct{}{}}}, nil
}

// Root is the store's absolute root directory.
func (st *Store) Root() string { return st.root }

// UserOrGlobal returns the GLOBAL space (space "global") or user's USER
// space (space "user"), creating its directory. The USER space counts
// against user's quota.
func (st *Store) UserOrGlobal(space, user string) (*Space, error) {
	switch space {
	case api.SpaceGlobal:
		return &Space{store: st, name: space, dir: filepath.Join(st.root, "global")}, nil
	case api.SpaceUser:
		if err := checkName("user", user); err != nil {
			return nil, err
		}
		dir := filepath.Join(st.root, "users", user)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, wrapf(err, "dataspace: user space of %s", user)
		}
		return &Space{store: st, name: space, dir: dir, owner: user}, nil
	}
	return nil, fail(ErrNotFound, "no space %q (global or user)", space)
}

// Job returns the INPUT (space "input") or OUTPUT (space "output") space
// of a job, creating its directory and recording owner, whose quota the
// OUTPUT space counts against.
func (st *Store) Job(jobID int64, space, owner string) (*Space, error) {
	if jobID <= 0 {
		return nil, badRequest("dataspace: job id must be positive, got %d", jobID)
	}
	if space != api.SpaceInput && space != api.SpaceOutput {
		return nil, fail(ErrNotFound, "no job space %q (input or output)", space)
	}
	if err := checkName("owner", owner); err != nil {
		return nil, err
	}
	jobDir := st.jobDir(jobID)
	dir := filepath.Join(jobDir, space)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, wrapf(err, "dataspace: %s space of job %d", space, jobID)
	}
	if err := st.recordOwner(jobDir, owner); err != nil {
		return nil, err
	}
	sp := &Space{store: st, name: space, dir: dir, jobID: jobID}
	if space == api.SpaceOutput {
		sp.owner = owner
	}
	return sp, nil
}

// RemoveJob deletes both spaces of a job (when the job is purged); the
// owner's usage drops by the size of its OUTPUT space.
func (st *Store) RemoveJob(jobID int64) error {
	if jobID <= 0 {
		return badRequest("dataspace: job id must be positive, got %d", jobID)
	}
	jobDir := st.jobDir(jobID)
	owner, err := readOwner(jobDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := st.prepare(owner); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if u := st.usage[owner]; u != nil && u.loaded {
		n, err := treeSize(filepath.Join(jobDir, api.SpaceOutput))
		if err != nil {
			return err
		}
		u.bytes -= n
	}
	if err := os.RemoveAll(jobDir); err != nil {
		return wrapf(err, "dataspace: removing spaces of job %d", jobID)
	}
	return nil
}

func (st *Store) jobDir(jobID int64) string {
	return filepath.Join(st.root, "jobs", strconv.FormatInt(jobID, 10))
}

// recordOwner writes <job>/.owner once; the first owner stays.
func (st *Store) recordOwner(jobDir, owner string) error {
	got, err := readOwner(jobDir)
	if err == nil {
		if got != owner {
			return fmt.Errorf("dataspace: job directory %s belongs to %q, not %q", jobDir, got, owner)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// Write a temporary file, then link it in place: readers never see a
	// half-written owner and the first writer wins.
	tmp, err := os.CreateTemp(jobDir, reservedPrefix+"owner.")
	if err != nil {
		return wrapf(err, "dataspace: recording job owner")
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(owner + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), filepath.Join(jobDir, ".owner"))
	}
	if errors.Is(err, fs.ErrExist) {
		return st.recordOwner(jobDir, owner) // another caller won the race
	}
	if err != nil {
		return wrapf(err, "dataspace: recording job owner")
	}
	return nil
}

func readOwner(jobDir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(jobDir, ".owner"))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}
