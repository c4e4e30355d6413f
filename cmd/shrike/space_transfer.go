package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// This file moves files between the local disk and a space, for space put,
// space get and job output.

// transferStats counts what a command moved.
type transferStats struct {
	files int
	bytes int64
}

// String says it for a summary line: "3 files (1.5 MiB)".
func (s transferStats) String() string {
	noun := "files"
	if s.files == 1 {
		noun = "file"
	}
	return fmt.Sprintf("%d %s (%s)", s.files, noun, api.HumanBytes(s.bytes))
}

// uploadFile sends the local file src to path dst of the space, with its
// sha256 so that the server refuses a damaged upload.
func uploadFile(ctx context.Context, e *env, sc *api.SpaceClient, src, dst string, st *transferStats) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	bar := newByteBar(e, sc.Name()+":"+dst, fi.Size())
	_, err = sc.Put(ctx, dst, bar.reader(f), fi.Size(), hex.EncodeToString(h.Sum(nil)))
	bar.finish()
	if err != nil {
		return fmt.Errorf("uploading %s to %s:%s: %w", src, sc.Name(), dst, err)
	}
	st.files++
	st.bytes += fi.Size()
	return nil
}

// uploadTree sends the local directory src, everything in it, to path
// dst of the space. Symbolic links to files are followed; other links and
// special files are skipped with a warning.
func uploadTree(ctx context.Context, e *env, sc *api.SpaceClient, src, dst string, st *transferStats) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := path.Join(dst, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			_, err = sc.Mkdir(ctx, target)
			return err
		case d.Type().IsRegular():
			return uploadFile(ctx, e, sc, p, target, st)
		}
		if fi, serr := os.Stat(p); serr == nil && fi.Mode().IsRegular() {
			return uploadFile(ctx, e, sc, p, target, st)
		}
		fmt.Fprintf(e.stderr, "shrike: skipping %s: not a regular file or directory\n", p)
		return nil
	})
}

// downloadTree writes the entries of a listing to the local directory
// dest: each at its path with the prefix strip (a directory of the space,
// "" for its root) removed.
func downloadTree(ctx context.Context, e *env, sc *api.SpaceClient, entries []api.SpaceEntry, strip, dest string, st *transferStats) error {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	for _, en := range entries {
		rel := en.Path
		if strip != "" {
			rel = strings.TrimPrefix(rel, strip+"/")
		}
		local := filepath.FromSlash(rel)
		if !filepath.IsLocal(local) {
			return fmt.Errorf("the server listed %q, which is not under %s: refusing to write it", en.Path, dest)
		}
		local = filepath.Join(dest, local)
		if en.Dir {
			if err := os.MkdirAll(local, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := downloadFile(ctx, e, sc, en, local, st); err != nil {
			return err
		}
	}
	return nil
}

// downloadFile writes the file of entry to the local path dst: through a
// temporary file beside it, renamed into place once its sha256 (when the
// server knows it) matches, with the entry's modification time.
func downloadFile(ctx context.Context, e *env, sc *api.SpaceClient, en api.SpaceEntry, dst string, st *transferStats) (err error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".shrike-get-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	bar := newByteBar(e, sc.Name()+":"+en.Path, en.Size)
	n, err := sc.Get(ctx, en.Path, 0, bar.writer(io.MultiWriter(tmp, h)))
	bar.finish()
	if err != nil {
		return fmt.Errorf("downloading %s:%s: %w", sc.Name(), en.Path, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); en.SHA256 != "" && sum != en.SHA256 {
		return fmt.Errorf("downloading %s:%s: sha256 %s, want %s (the file changed on the server, or was damaged on the way; run again)",
			sc.Name(), en.Path, sum, en.SHA256)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if !en.ModTime.IsZero() {
		_ = os.Chtimes(tmp.Name(), en.ModTime, en.ModTime)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	st.files++
	st.bytes += n
	return nil
}

// isDir reports whether the local path p is a directory; a missing path
// is not, other errors are returned.
func isDir(p string) (bool, error) {
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return fi.IsDir(), nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
