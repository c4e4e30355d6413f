package dataspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// PutOptions tune Space.Put.
type PutOptions struct {
	// SHA256 is the expected checksum of the whole file (lower-case hex);
	// when set the data is verified (ErrChecksum) and a cut upload is
	// kept so that it can be resumed.
	SHA256 string
	// Offset resumes a cut upload: the reader holds the file from this
	// byte on. It must equal the size of the partial upload kept for
	// (path, SHA256) (ErrOffset otherwise; see UploadOffset).
	Offset int64
	// Size is the expected size of the whole file, when known: a write
	// that cannot fit the quota fails at once, and the data must have
	// exactly this size.
	Size int64
}

// partPrefix names partial uploads: ".shrike.part.<hash of name+sha256>".
const partPrefix = reservedPrefix + "part."

// copyBuf is the buffer size of every copy (bounded memory per transfer).
const copyBuf = 256 << 10

// Put writes the file rel from r atomically: the data goes to a hidden
// file in the same directory that is renamed into place only once it is
// complete (and verified, when opts.SHA256 is set); parent directories are
// created. Readers see the old file or the new one, never a mix. With
// opts.SHA256 set, data received before an error is kept as a partial
// upload that a later Put with opts.Offset continues.
func (sp *Space) Put(ctx context.Context, rel string, r io.Reader, opts PutOptions) (api.SpaceEntry, error) {
	segs, err := sp.check(rel)
	if err != nil {
		return api.SpaceEntry{}, err
	}
	if len(segs) == 0 {
		return api.SpaceEntry{}, fail(ErrBadPath, "cannot write the root of the %s space", sp.name)
	}
	if err := opts.check(); err != nil {
		return api.SpaceEntry{}, err
	}
	st := sp.store
	if err := st.prepare(sp.owner); err != nil {
		return api.SpaceEntry{}, err
	}
	root, err := sp.openRoot()
	if err != nil {
		return api.SpaceEntry{}, err
	}
	defer root.Close()
	// The file replaced will be freed: its size is slack for the quota.
	var slack int64
	if fi, err := root.Lstat(relPath(segs)); err == nil {
		if fi.IsDir() {
			return api.SpaceEntry{}, fail(ErrExists, "%q is a directory", rel)
		}
		slack = fi.Size()
	}
	if opts.Size > 0 {
		if err := st.fits(sp.owner, opts.Size-opts.Offset-slack); err != nil {
			return api.SpaceEntry{}, err
		}
	}
	dir := segs[:len(segs)-1]
	if len(dir) > 0 {
		if err := root.MkdirAll(relPath(dir), 0o755); err != nil {
			return api.SpaceEntry{}, wrapf(err, "dataspace: creating the directory of %q", rel)
		}
	}
	w, err := sp.openUpload(ctx, root, segs, opts)
	if err != nil {
		return api.SpaceEntry{}, err
	}
	w.slack = slack
	defer w.close()
	n, err := io.CopyBuffer(w, ctxReader{ctx, r}, make([]byte, copyBuf))
	if err != nil {
		w.abort(!errors.Is(err, ErrQuota)) // a cut upload can be resumed
		return api.SpaceEntry{}, wrapf(err, "dataspace: receiving %q", rel)
	}
	if total := opts.Offset + n; opts.Size > 0 && total != opts.Size {
		w.abort(total < opts.Size) // short: resumable
		return api.SpaceEntry{}, fail(ErrOffset, "%q: received %d bytes of %d", rel, total, opts.Size)
	}
	sum := hex.EncodeToString(w.hash.Sum(nil))
	if opts.SHA256 != "" && sum != opts.SHA256 {
		w.abort(false)
		return api.SpaceEntry{}, fail(ErrChecksum, "checksum mismatch for %q: the data received hashes to %s, not %s",
			rel, sum, opts.SHA256)
	}
	if !st.opts.NoSync {
		if err := w.f.Sync(); err != nil {
			w.abort(false)
			return api.SpaceEntry{}, wrapf(err, "dataspace: writing %q", rel)
		}
	}
	return sp.commit(root, rel, segs, w, sum)
}

func (o *PutOptions) check() error {
	o.SHA256 = strings.ToLower(o.SHA256)
	switch {
	case o.SHA256 != "" && !isSHA256(o.SHA256):
		return badRequest("sha256 %q is not 64 hex digits", o.SHA256)
	case o.Offset < 0:
		return badRequest("offset must not be negative, got %d", o.Offset)
	case o.Size < 0:
		return badRequest("size must not be negative, got %d", o.Size)
	case o.Offset > 0 && o.SHA256 == "":
		return badRequest("resuming at offset %d needs the expected sha256", o.Offset)
	case o.Size > 0 && o.Offset > o.Size:
		return badRequest("offset %d is past the size %d", o.Offset, o.Size)
	}
	return nil
}

// upload is the hidden file a Put writes: a partial upload (resumable,
// locked) or a temporary file.
type upload struct {
	sp       *Space
	root     *os.Root
	path     string // os.Root-relative
	f        *os.File
	hash     hash.Hash
	part     bool
	slack    int64 // bytes the quota may be passed by (the file replaced)
	unlock   func()
	closed   bool // f is closed
	finished bool // committed or aborted
}

// openUpload opens the partial upload for (segs, opts.SHA256), checking
// that it holds opts.Offset bytes and hashing them, or a new temporary
// file when no checksum is expected.
func (sp *Space) openUpload(ctx context.Context, root *os.Root, segs []string, opts PutOptions) (*upload, error) {
	u := &upload{sp: sp, root: root, hash: sha256.New(), unlock: func() {}}
	rel := strings.Join(segs, "/")
	if opts.SHA256 == "" {
		p, f, err := createTemp(root, segs[:len(segs)-1])
		if err != nil {
			return nil, wrapf(err, "dataspace: writing %q", rel)
		}
		u.path, u.f = p, f
		return u, nil
	}
	u.part = true
	u.path = partPath(segs, opts.SHA256)
	unlock, err := sp.store.locks.lock(ctx, filepath.Join(sp.dir, u.path))
	if err != nil {
		return nil, err
	}
	u.unlock = unlock
	f, err := root.OpenFile(u.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		unlock()
		return nil, wrapf(err, "dataspace: writing %q", rel)
	}
	u.f = f
	fi, err := f.Stat()
	if err != nil {
		u.close()
		return nil, wrapf(err, "dataspace: writing %q", rel)
	}
	switch have := fi.Size(); {
	case opts.Offset == have:
		if _, err := io.Copy(u.hash, io.NewSectionReader(f, 0, have)); err != nil {
			u.close()
			return nil, wrapf(err, "dataspace: reading the partial upload of %q", rel)
		}
		if _, err := f.Seek(have, io.SeekStart); err != nil {
			u.close()
			return nil, wrapf(err, "dataspace: writing %q", rel)
		}
	case opts.Offset == 0:
		if err := f.Truncate(0); err != nil {
			u.close()
			return nil, wrapf(err, "dataspace: writing %q", rel)
		}
		sp.store.release(sp.owner, have)
	default:
		u.close()
		return nil, fail(ErrOffset, "the partial upload of %q with sha256 %s holds %d bytes, not %d",
			rel, opts.SHA256, have, opts.Offset)
	}
	return u, nil
}

// partPath is the partial upload of segs expecting sum.
func partPath(segs []string, sum string) string {
	dir, name := segs[:len(segs)-1], segs[len(segs)-1]
	return filepath.Join(append(dir[:len(dir):len(dir)], hiddenName(partPrefix, name, sum))...)
}

// Write counts the bytes against the quota, then writes and hashes them.
func (u *upload) Write(p []byte) (int, error) {
	if err := u.sp.store.reserve(u.sp.owner, int64(len(p)), u.slack); err != nil {
		return 0, err
	}
	n, err := u.f.Write(p)
	if n < len(p) {
		u.sp.store.release(u.sp.owner, int64(len(p)-n))
	}
	u.hash.Write(p[:n])
	return n, err
}

// abort ends a failed upload: a partial upload is kept when keep (so it
// can be resumed), anything else is deleted and uncounted.
func (u *upload) abort(keep bool) {
	if u.finished {
		return
	}
	u.finished = true
	u.closeFile()
	if keep && u.part {
		return
	}
	if fi, err := u.root.Lstat(u.path); err == nil {
		u.sp.store.release(u.sp.owner, fi.Size())
	}
	_ = u.root.Remove(u.path)
}

func (u *upload) closeFile() error {
	if u.closed {
		return nil
	}
	u.closed = true
	return u.f.Close()
}

// close releases the upload's file and lock (after abort or commit).
func (u *upload) close() {
	u.closeFile()
	u.unlock()
}

// commit renames the complete upload into place, uncounts the file it
// replaces and caches its checksum.
func (sp *Space) commit(root *os.Root, rel string, segs []string, u *upload, sum string) (api.SpaceEntry, error) {
	err := u.closeFile()
	if err != nil {
		err = wrapf(err, "dataspace: writing %q", rel)
	} else {
		err = sp.rename(root, rel, segs, u)
	}
	if err != nil {
		u.abort(false)
		return api.SpaceEntry{}, err
	}
	fi, err := root.Lstat(relPath(segs))
	if err != nil {
		return api.SpaceEntry{}, wrapf(err, "dataspace: writing %q", rel)
	}
	e := entry(segs, fi)
	e.SHA256 = sum
	return e, nil
}

// rename moves the upload into place under the store lock, keeping usage
// and the checksum sidecar in step with the file.
func (sp *Space) rename(root *os.Root, rel string, segs []string, u *upload) error {
	st := sp.store
	st.mu.Lock()
	defer st.mu.Unlock()
	var old int64 // the size of the file replaced, uncounted
	fi, err := root.Lstat(relPath(segs))
	switch {
	case err == nil && fi.IsDir():
		return fail(ErrExists, "%q is a directory", rel)
	case err == nil:
		old = fi.Size()
	case !errors.Is(err, fs.ErrNotExist):
		return wrapf(err, "dataspace: writing %q", rel)
	}
	if err := root.Rename(u.path, relPath(segs)); err != nil {
		return wrapf(err, "dataspace: writing %q", rel)
	}
	u.finished = true
	st.releaseLocked(sp.owner, old)
	if fi, err := root.Lstat(relPath(segs)); err == nil {
		writeSidecar(root, segs, fi, hex.EncodeToString(u.hash.Sum(nil)))
	}
	return nil
}

// UploadOffset answers a client about to resume an upload of rel with
// checksum sum: how many bytes of it the server holds, and whether the
// file is already there with that checksum (complete; size is then the
// file's size).
func (sp *Space) UploadOffset(rel, sum string) (size int64, complete bool, err error) {
	segs, err := sp.check(rel)
	if err != nil {
		return 0, false, err
	}
	if len(segs) == 0 {
		return 0, false, fail(ErrBadPath, "cannot write the root of the %s space", sp.name)
	}
	sum = strings.ToLower(sum)
	if !isSHA256(sum) {
		return 0, false, badRequest("sha256 %q is not 64 hex digits", sum)
	}
	root, err := sp.openRoot()
	if err != nil {
		return 0, false, err
	}
	defer root.Close()
	if fi, err := root.Lstat(relPath(segs)); err == nil && fi.Mode().IsRegular() && knownSum(root, segs, fi) == sum {
		return fi.Size(), true, nil
	}
	fi, err := root.Lstat(partPath(segs, sum))
	if err != nil {
		return 0, false, nil
	}
	return fi.Size(), false, nil
}

// ctxReader stops reading once ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
