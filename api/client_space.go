package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Headers of file uploads and downloads (docs/api.md, "Data spaces").
const (
	headerSHA256 = "X-Shrike-SHA256"
)

// SpaceClient reaches one data space through the REST API: the global
// space or the caller's user space (Client.Space), or a job's input or
// output space (Client.JobSpace). Paths are relative to the space's root
// and "/"-separated; "" is the root.
type SpaceClient struct {
	c      *Client
	name   string
	prefix string // URL path of the space's root, without a trailing "/"
}

// SpaceListOptions chooses what SpaceClient.List returns.
type SpaceListOptions struct {
	// Recursive lists every file under the directory instead of its
	// entries.
	Recursive bool
	// Include and Exclude filter a recursive listing by globs relative to
	// the space's root ("**" matches any number of directories): files
	// matching an Include (all when empty) and no Exclude.
	Include, Exclude []string
}

// Space returns the client of the global space (SpaceGlobal: read by all,
// written by admins) or the caller's own space (SpaceUser).
func (c *Client) Space(name string) *SpaceClient {
	return &SpaceClient{c: c, name: name, prefix: "/api/v1/spaces/" + url.PathEscape(name)}
}

// JobSpace returns the client of a job's input or output space
// (SpaceInput, SpaceOutput). Both are read with List, Stat and Get; the
// input space also takes Put and Mkdir from the job's owner.
func (c *Client) JobSpace(id int64, name string) *SpaceClient {
	return &SpaceClient{c: c, name: name, prefix: jobPath(id) + "/" + url.PathEscape(name)}
}

// Name returns the space's name (global, user, input or output).
func (s *SpaceClient) Name() string { return s.name }

// List returns the entries of directory dir, or with opts.Recursive every
// file under it that the globs choose.
func (s *SpaceClient) List(ctx context.Context, dir string, opts SpaceListOptions) (SpaceList, error) {
	q := url.Values{}
	if opts.Recursive {
		q.Set("walk", "1")
		q["include"] = opts.Include
		q["exclude"] = opts.Exclude
	}
	var list SpaceList
	err := s.c.call(ctx, http.MethodGet, s.path(dir, true), q, nil, &list)
	return list, err
}

// Stat returns the entry of a file or directory.
func (s *SpaceClient) Stat(ctx context.Context, path string) (SpaceEntry, error) {
	var e SpaceEntry
	err := s.c.call(ctx, http.MethodGet, s.path(path, false), url.Values{"stat": {"1"}}, nil, &e)
	return e, err
}

// Get copies a file to w from byte offset on (0: all of it; a partial
// download resumes) and returns the number of bytes copied.
func (s *SpaceClient) Get(ctx context.Context, path string, offset int64, w io.Writer) (int64, error) {
	hdr := http.Header{}
	if offset > 0 {
		hdr.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	req, err := s.c.newRequest(ctx, http.MethodGet, s.path(path, false), nil, nil, hdr)
	if err != nil {
		return 0, err
	}
	resp, err := s.c.do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body := io.Reader(resp.Body)
	if offset > 0 && resp.StatusCode != http.StatusPartialContent {
		// The whole file came: skip what the caller has.
		if _, err := io.CopyN(io.Discard, body, offset); err != nil {
			return 0, s.readError(ctx, path, err)
		}
	}
	n, err := io.Copy(w, body)
	if err != nil {
		return n, s.readError(ctx, path, err)
	}
	return n, nil
}

// Put uploads r as the file at path, replacing any file there (the
// server writes it atomically: readers see the old file or the whole new
// one). size is r's length (-1 if unknown); sha256, the hex digest of the
// content, makes the server refuse a damaged upload with CodeChecksum
// ("" skips the check). The answer is the stored entry.
func (s *SpaceClient) Put(ctx context.Context, path string, r io.Reader, size int64, sha256 string) (SpaceEntry, error) {
	hdr := http.Header{"Content-Type": {"application/octet-stream"}}
	if sha256 != "" {
		hdr.Set(headerSHA256, sha256)
	}
	if size == 0 {
		r = http.NoBody
	}
	req, err := s.c.newRequest(ctx, http.MethodPut, s.path(path, false), nil, r, hdr)
	if err != nil {
		return SpaceEntry{}, err
	}
	if size >= 0 {
		req.ContentLength = size
	}
	return s.entryOf(req)
}

// Mkdir makes a directory (and its missing parents) and returns its entry.
func (s *SpaceClient) Mkdir(ctx context.Context, path string) (SpaceEntry, error) {
	req, err := s.c.newRequest(ctx, http.MethodPut, s.path(path, true), url.Values{"mkdir": {"1"}}, http.NoBody, nil)
	if err != nil {
		return SpaceEntry{}, err
	}
	return s.entryOf(req)
}

// Remove removes a file or an empty directory; with recursive, a
// directory and everything in it.
func (s *SpaceClient) Remove(ctx context.Context, path string, recursive bool) error {
	var q url.Values
	if recursive {
		q = url.Values{"recursive": {"1"}}
	}
	return s.c.call(ctx, http.MethodDelete, s.path(path, false), q, nil, nil)
}

// Move renames a file or directory within the space and returns its entry
// at the new path.
func (s *SpaceClient) Move(ctx context.Context, from, to string) (SpaceEntry, error) {
	var e SpaceEntry
	err := s.c.call(ctx, http.MethodPost, s.path(from, false), url.Values{"op": {"move"}},
		jsonBody(SpaceMove{To: to}), &e)
	return e, err
}

// entryOf sends req and decodes the api.SpaceEntry it answers.
func (s *SpaceClient) entryOf(req *http.Request) (SpaceEntry, error) {
	resp, err := s.c.do(req)
	if err != nil {
		return SpaceEntry{}, err
	}
	defer resp.Body.Close()
	var e SpaceEntry
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		return SpaceEntry{}, &Error{Code: CodeInternal, Status: resp.StatusCode,
			Message: fmt.Sprintf("%s %s: decoding the answer: %v", req.Method, req.URL.Path, err)}
	}
	return e, nil
}

// readError wraps a download cut short; the context's error stays
// reachable with errors.Is.
func (s *SpaceClient) readError(ctx context.Context, path string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return fmt.Errorf("reading %s:%s: %w", s.name, path, err)
}

// path is the URL path of rel in the space, each segment escaped; dir
// adds the trailing "/" of a directory.
func (s *SpaceClient) path(rel string, dir bool) string {
	rel = strings.TrimPrefix(rel, "/")
	segs := strings.Split(rel, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	p := s.prefix + "/" + strings.Join(segs, "/")
	if dir && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}
