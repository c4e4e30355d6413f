package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/shrike-grid/shrike/dataspace"
)

// reservedPrefix starts the names of files the spaces keep for
// themselves (partial uploads, checksums, and the temporary files of the
// copies here); walks skip them, as space listings do, so a copy in
// progress is never picked up half written.
const reservedPrefix = ".shrike."

// localSpaces copies files between a node directory and the spaces the
// node sees at a local path (a shared file system; api.Staging.Local),
// with the selector semantics of the HTTP transfers. Each file is written
// to a temporary name next to its destination and renamed into place, so
// readers never see a partial file; an existing file is replaced. Both
// sides are opened as an os.Root: no path, symbolic link or ".." leads
// out of the space or the scratch directory. Regular files are copied and
// the names the spaces reserve (".shrike.*") skipped; as over HTTP, a pull
// ignores the symbolic links of the space, and a push follows those of
// the scratch directory to its files (one leading out of it fails the
// push) but not to its directories. Directories are created as needed.
// Space quotas are not enforced on local copies.
type localSpaces struct {
	roots    map[string]string // space name -> local path
	progress func(msg string)
}

// Pull copies the files of space that sel selects into destDir.
func (l *localSpaces) Pull(ctx context.Context, space string, sel dataspace.Selector, destDir string, _ bool) (int, error) {
	src, err := l.open(space)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	dst, err := os.OpenRoot(destDir)
	if err != nil {
		return 0, err
	}
	defer dst.Close()
	return l.copyTree(ctx, src, dst, sel, true, func(rel string, size int64) string {
		return fmt.Sprintf("pulled %s (%s) from %s (local copy)", rel, dataspace.FormatBytes(size), space)
	})
}

// Push copies the files of srcDir that sel selects into space.
func (l *localSpaces) Push(ctx context.Context, srcDir, space string, sel dataspace.Selector) (int, error) {
	dst, err := l.open(space)
	if err != nil {
		return 0, err
	}
	defer dst.Close()
	src, err := os.OpenRoot(srcDir)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	return l.copyTree(ctx, src, dst, sel, false, func(rel string, size int64) string {
		return fmt.Sprintf("pushed %s (%s) to %s (local copy)", rel, dataspace.FormatBytes(size), space)
	})
}

// open opens the local root of space.
func (l *localSpaces) open(space string) (*os.Root, error) {
	dir, ok := l.roots[space]
	if !ok {
		return nil, fmt.Errorf("space %s has no local path", space)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("space %s at %s: %w", space, dir, err)
	}
	return r, nil
}

// copyTree copies the selected files of src into dst and returns how many
// it copied. It stops at the first error or when ctx is done.
func (l *localSpaces) copyTree(ctx context.Context, src, dst *os.Root, sel dataspace.Selector, pull bool, msg func(string, int64) string) (int, error) {
	if err := sel.Validate(); err != nil {
		return 0, err
	}
	n := 0
	err := fs.WalkDir(src.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if strings.HasPrefix(d.Name(), reservedPrefix) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		link := d.Type()&fs.ModeSymlink != 0
		if !(d.Type().IsRegular() || link && !pull) || !sel.Match(rel) {
			return nil // devices, sockets, pipes; links in a space
		}
		info, err := src.Stat(rel) // follows a link, inside src only
		switch {
		case link && err != nil:
			return fmt.Errorf("%s: a symbolic link that leads out of the directory (or nowhere): %w", rel, err)
		case errors.Is(err, fs.ErrNotExist):
			return nil // removed meanwhile
		case err != nil:
			return err
		case !info.Mode().IsRegular():
			return nil // a link to a directory
		}
		if err := copyFile(ctx, src, dst, rel, info, pull); err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		n++
		if l.progress != nil {
			l.progress(msg(rel, info.Size()))
		}
		return nil
	})
	return n, err
}

// copyFile copies rel from src to dst through a temporary file renamed
// into place, keeping the permission bits. A pull keeps the modification
// time too; a push is flushed to disk (fsync) before the rename and gets
// a fresh modification time, so that the checksum the space may have
// cached for the file it replaces is seen to be stale.
func copyFile(ctx context.Context, src, dst *os.Root, rel string, info fs.FileInfo, pull bool) error {
	in, err := src.Open(rel)
	if err != nil {
		return err
	}
	defer in.Close()
	dir := path.Dir(rel)
	if err = dst.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := path.Join(dir, tmpName())
	out, err := dst.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm()|0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, ctxReader{ctx, in})
	if err == nil && !pull {
		err = out.Sync()
	}
	if closeErr := out.Close(); err == nil {
		err = closeErr
	}
	if err == nil && pull {
		err = dst.Chtimes(tmp, info.ModTime(), info.ModTime())
	}
	if err == nil {
		err = dst.Rename(tmp, rel)
	}
	if err != nil {
		_ = dst.Remove(tmp)
	}
	return err
}

// tmpName is a fresh temporary file name.
func tmpName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return reservedPrefix + "copy-" + hex.EncodeToString(b[:])
}

// ctxReader stops a copy when its context is done.
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
