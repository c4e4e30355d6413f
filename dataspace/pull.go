package dataspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/shrike-grid/shrike/api"
	"golang.org/x/sync/errgroup"
)

// Pull downloads the files of space that sel selects into destDir (same
// relative paths), Parallel at a time. Each file is written to a hidden
// partial file, checked against its sha256 and renamed into place; an
// interrupted download resumes from the partial file with a Range
// request. A selection that matches nothing is an error unless optional.
// It returns how many files were pulled.
func (c *Client) Pull(ctx context.Context, space string, sel Selector, destDir string, optional bool) (int, error) {
	if err := sel.Validate(); err != nil {
		return 0, fmt.Errorf("pulling from the %s space: %w", space, err)
	}
	entries, err := c.list(ctx, space, sel)
	if err != nil {
		return 0, err
	}
	if len(entries) == 0 {
		if optional {
			return 0, nil
		}
		return 0, fmt.Errorf("no file in %s matches %s", space, sel)
	}
	for _, e := range entries {
		if _, err := splitRel(e.Path); err != nil || e.Dir || !isSHA256(e.SHA256) || e.Size < 0 {
			return 0, fmt.Errorf("pulling from the %s space: the server listed a bad entry %q", space, e.Path)
		}
	}
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return 0, fmt.Errorf("pulling from the %s space: %w", space, err)
	}
	root, err := os.OpenRoot(destDir)
	if err != nil {
		return 0, fmt.Errorf("pulling from the %s space: %w", space, err)
	}
	defer root.Close()
	var done atomic.Int64
	report := c.reporter()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.parallel())
	for _, e := range entries {
		g.Go(func() error {
			segs := strings.Split(e.Path, "/")
			err := c.retry(gctx, func() error { return c.pullOne(gctx, root, space, segs, e) })
			if err != nil {
				_ = root.Remove(partPath(segs, e.SHA256))
				return fmt.Errorf("pulling %s from the %s space: %w", e.Path, space, err)
			}
			done.Add(1)
			report("pulled %s (%s)", e.Path, FormatBytes(e.Size))
			return nil
		})
	}
	err = g.Wait()
	return int(done.Load()), err
}

// pullOne makes one attempt at downloading e, resuming from its partial
// file.
func (c *Client) pullOne(ctx context.Context, root *os.Root, space string, segs []string, e api.SpaceEntry) error {
	if len(segs) > 1 {
		if err := root.MkdirAll(relPath(segs[:len(segs)-1]), 0o755); err != nil {
			return permanent(err)
		}
	}
	part := partPath(segs, e.SHA256)
	f, err := root.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return permanent(err)
	}
	defer f.Close()
	h := sha256.New()
	have, err := resumeHash(f, h, e.Size)
	if err != nil {
		return permanent(err)
	}
	if have > 0 && have == e.Size {
		if hex.EncodeToString(h.Sum(nil)) == e.SHA256 {
			return finishPull(root, f, part, segs, e)
		}
		if err := restart(f, h); err != nil {
			return permanent(err)
		}
		have = 0
	}
	wd := newWatchdog(ctx, c.stallTimeout())
	defer wd.stop()
	req, err := c.request(wd.ctx, http.MethodGet, c.fileURL(space, e.Path), nil)
	if err != nil {
		return err
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
		req.Header.Set("If-Range", `"`+e.SHA256+`"`)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && contentRangeStart(resp) == have:
	case resp.StatusCode == http.StatusOK:
		if have > 0 { // the file changed: start over
			if err := restart(f, h); err != nil {
				return permanent(err)
			}
		}
	case resp.StatusCode == http.StatusPartialContent, resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		if err := restart(f, h); err != nil {
			return permanent(err)
		}
		return fmt.Errorf("GET %s: the server answered %s to a resume at %d", e.Path, resp.Status, have)
	default:
		return responseError(req, resp)
	}
	want := resp.Header.Get(HeaderSHA256)
	if want == "" {
		want = e.SHA256
	}
	wd.start()
	if _, err := copyFull(io.MultiWriter(f, h), wd.reader(resp.Body, false)); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return permanent(err) // writing the local file
		}
		return fmt.Errorf("GET %s: %w", e.Path, wd.err(err)) // cut: the next try resumes
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != want {
		_ = restart(f, h)
		return fail(ErrChecksum, "checksum mismatch for %s: the data received hashes to %s, not %s", e.Path, sum, want)
	}
	return finishPull(root, f, part, segs, e)
}

// finishPull renames a complete, verified download into place with the
// server's mtime.
func finishPull(root *os.Root, f *os.File, part string, segs []string, e api.SpaceEntry) error {
	if err := f.Close(); err != nil {
		return permanent(err)
	}
	if err := root.Rename(part, relPath(segs)); err != nil {
		return permanent(err)
	}
	if !e.ModTime.IsZero() {
		_ = root.Chtimes(relPath(segs), e.ModTime, e.ModTime)
	}
	return nil
}

// resumeHash hashes what a partial download holds and leaves f at its
// end; a partial file larger than the file is emptied.
func resumeHash(f *os.File, h hash.Hash, size int64) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	have := fi.Size()
	if have > size {
		return 0, restart(f, h)
	}
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, have)); err != nil {
		return 0, err
	}
	_, err = f.Seek(have, io.SeekStart)
	return have, err
}

// restart empties a partial download.
func restart(f *os.File, h hash.Hash) error {
	h.Reset()
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// contentRangeStart is the first byte of a 206 answer ("bytes a-b/n"), or
// -1.
func contentRangeStart(resp *http.Response) int64 {
	v, ok := strings.CutPrefix(resp.Header.Get("Content-Range"), "bytes ")
	if !ok {
		return -1
	}
	start, _, ok := strings.Cut(v, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(start, 10, 64)
	if err != nil {
		return -1
	}
	return n
}
