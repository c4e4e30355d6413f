package dataspace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Push uploads the files under srcDir that sel selects to space (same
// relative paths), Parallel at a time, each with its sha256. A large file
// (1 MiB or more) the server already holds with that checksum is not sent
// again, and an upload cut short resumes where the server's partial upload ends (the
// HEAD query). Symbolic links are followed only to files inside srcDir;
// a selected link that leads out of it is an error. It returns how many
// files were pushed.
func (c *Client) Push(ctx context.Context, srcDir, space string, sel Selector) (int, error) {
	m, err := sel.compile()
	if err != nil {
		return 0, fmt.Errorf("pushing to the %s space: %w", space, err)
	}
	root, err := os.OpenRoot(srcDir)
	if err != nil {
		return 0, fmt.Errorf("pushing to the %s space: %w", space, err)
	}
	defer root.Close()
	files, err := localWalk(root, m)
	if err != nil {
		return 0, fmt.Errorf("pushing %s to the %s space: %w", srcDir, space, err)
	}
	var done atomic.Int64
	report := c.reporter()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.parallel())
	for _, rel := range files {
		g.Go(func() error {
			var msg string
			retried := false
			err := c.retry(gctx, func() (err error) {
				msg, err = c.pushOne(gctx, root, space, rel, retried)
				retried = true
				return err
			})
			if err != nil {
				return fmt.Errorf("pushing %s to the %s space: %w", rel, space, err)
			}
			done.Add(1)
			report("pushed %s (%s)", rel, msg)
			return nil
		})
	}
	err = g.Wait()
	return int(done.Load()), err
}

// localWalk lists the files under root that m selects, "/"-separated.
func localWalk(root *os.Root, m *matcher) ([]string, error) {
	var out []string
	err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), reservedPrefix) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		segs := strings.Split(p, "/")
		if d.IsDir() {
			if !m.descend(segs) {
				return filepath.SkipDir
			}
			return nil
		}
		if !m.match(segs) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := root.Stat(filepath.FromSlash(p)) // refuses links out of root
			if err != nil {
				return fmt.Errorf("%s: a symbolic link that leads out of the directory (or nowhere): %w", p, err)
			}
			if !fi.Mode().IsRegular() {
				return nil // links to directories are not followed
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		if _, err := splitRel(p); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// askMin is the size from which a push first asks the server what it
// holds of the file (HEAD); smaller files are just sent, unless retried.
const askMin = 1 << 20

// pushOne makes one attempt at uploading rel and says what it did.
func (c *Client) pushOne(ctx context.Context, root *os.Root, space, rel string, retried bool) (string, error) {
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return "", permanent(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", permanent(err)
	}
	size := fi.Size()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
		return "", permanent(err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	u := c.fileURL(space, rel)
	var offset int64
	if size >= askMin || retried {
		n, complete, err := c.uploadOffset(ctx, u, sum)
		if err != nil {
			return "", err
		}
		if complete {
			return FormatBytes(size) + ", unchanged", nil
		}
		offset = n
	}
	if offset > size {
		offset = 0
	}
	wd := newWatchdog(ctx, c.stallTimeout())
	defer wd.stop()
	req, err := c.request(wd.ctx, http.MethodPut, u, wd.reader(io.NewSectionReader(f, offset, size-offset), true))
	if err != nil {
		return "", err
	}
	req.ContentLength = size - offset
	if req.ContentLength == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(HeaderSHA256, sum)
	req.Header.Set(HeaderOffset, strconv.FormatInt(offset, 10))
	wd.start()
	resp, err := c.http().Do(req)
	if err != nil {
		return "", wd.err(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", responseError(req, resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if offset > 0 {
		return fmt.Sprintf("%s, resumed at %s", FormatBytes(size), FormatBytes(offset)), nil
	}
	return FormatBytes(size), nil
}

// uploadOffset asks the server how much of an upload of sum to u it holds.
func (c *Client) uploadOffset(ctx context.Context, u, sum string) (int64, bool, error) {
	req, err := c.request(ctx, http.MethodHead, u, nil)
	if err != nil {
		return 0, false, err
	}
	req.Header.Set(HeaderSHA256, sum)
	resp, err := c.http().Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false, responseError(req, resp)
	}
	n, err := strconv.ParseInt(resp.Header.Get(HeaderOffset), 10, 64)
	if err != nil || n < 0 {
		return 0, false, errors.New("HEAD " + req.URL.Path + ": no valid " + HeaderOffset + " in the answer")
	}
	return n, resp.Header.Get(HeaderComplete) == "1", nil
}
