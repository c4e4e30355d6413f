package dataspace

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// The headers of the transfer protocol (see the package doc).
const (
	// HeaderSHA256 carries a file's sha256 (lower-case hex): the server
	// sends it with every file it serves; a client sends the expected
	// checksum with a PUT, and with the HEAD that asks about a partial
	// upload.
	HeaderSHA256 = "X-Shrike-SHA256"
	// HeaderOffset carries a byte offset: in a PUT, where the body starts
	// in the file (resuming); in the answer to the HEAD query, how many
	// bytes of the upload the server holds.
	HeaderOffset = "X-Shrike-Offset"
	// HeaderComplete is "1" in the answer to the HEAD query when the file
	// is already there with that checksum (nothing to send).
	HeaderComplete = "X-Shrike-Complete"
)

// ServeHTTPFile answers a GET or HEAD of rel (the route's path; a leading
// "/" is ignored): a file is sent with http.ServeContent (Range,
// If-Range, conditional requests), HeaderSHA256 and an ETag of its
// checksum; a directory is answered with an api.SpaceList of its entries
// (a walk of the selected files under it with ?walk=1, see ServeHTTPWalk);
// a HEAD carrying HeaderSHA256 asks how much of an upload of rel with that
// checksum the server holds and is answered with HeaderOffset (and
// HeaderComplete). Errors are answered as an api.Error. It does not
// authenticate: the caller has checked that the client may read the space.
func (sp *Space) ServeHTTPFile(w http.ResponseWriter, r *http.Request, rel string) {
	rel = strings.TrimPrefix(rel, "/")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, r, api.Errorf(api.CodeBadRequest, "method %s not allowed (GET or HEAD)", r.Method), http.StatusMethodNotAllowed)
		return
	}
	if sum := r.Header.Get(HeaderSHA256); r.Method == http.MethodHead && sum != "" {
		n, complete, err := sp.UploadOffset(rel, sum)
		if err != nil {
			writeError(w, r, err, 0)
			return
		}
		w.Header().Set(HeaderOffset, strconv.FormatInt(n, 10))
		if complete {
			w.Header().Set(HeaderComplete, "1")
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	if isTrue(r.URL.Query().Get("walk")) {
		sp.serveWalk(w, r, rel)
		return
	}
	if err := sp.serveFile(w, r, rel); err != nil {
		writeError(w, r, err, 0)
	}
}

func (sp *Space) serveFile(w http.ResponseWriter, r *http.Request, rel string) error {
	segs, err := sp.check(rel)
	if err != nil {
		return err
	}
	root, err := sp.openRoot()
	if err != nil {
		return err
	}
	defer root.Close()
	fi, err := root.Lstat(relPath(segs))
	if errors.Is(err, fs.ErrNotExist) {
		return sp.notFound(rel)
	}
	if err != nil {
		return wrapf(err, "dataspace: stat %q", rel)
	}
	if fi.IsDir() {
		entries, err := sp.List(rel)
		if err != nil {
			return err
		}
		writeJSON(w, r, api.SpaceList{Space: sp.name, Path: strings.Join(segs, "/"), Entries: entries})
		return nil
	}
	f, err := sp.openFile(root, rel, segs)
	if err != nil {
		return err
	}
	defer f.Close()
	sum, fi, err := checksum(root, segs, f)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set(HeaderSHA256, sum)
	h.Set("ETag", `"`+sum+`"`)
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, segs[len(segs)-1], fi.ModTime(), f)
	return nil
}

// ServeHTTPWalk answers `GET .../{space}/?walk=1&include=G&exclude=G`
// (both repeatable) with an api.SpaceList of every file of the space the
// globs select (see Selector), each with its size, mtime and sha256.
func (sp *Space) ServeHTTPWalk(w http.ResponseWriter, r *http.Request) {
	sp.serveWalk(w, r, "")
}

func (sp *Space) serveWalk(w http.ResponseWriter, r *http.Request, rel string) {
	q := r.URL.Query()
	entries, err := sp.walk(rel, Selector{Include: q["include"], Exclude: q["exclude"]}, true)
	if err != nil {
		writeError(w, r, err, 0)
		return
	}
	writeJSON(w, r, api.SpaceList{Space: sp.name, Path: strings.TrimSuffix(rel, "/"), Entries: entries})
}

// ReceiveHTTPFile stores the body of a PUT as the file rel (the route's
// path; a leading "/" is ignored) with Put, streaming it: HeaderSHA256 is
// the expected checksum (verified; a cut upload is kept for resuming) and
// HeaderOffset, when resuming, where the body starts in the file. It
// returns the stored file's entry; errors carry their api.Error code. It
// does not authenticate: the caller has checked that the client may write
// the space.
func (sp *Space) ReceiveHTTPFile(r *http.Request, rel string) (api.SpaceEntry, error) {
	rel = strings.TrimPrefix(rel, "/")
	opts := PutOptions{SHA256: r.Header.Get(HeaderSHA256)}
	if v := r.Header.Get(HeaderOffset); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return api.SpaceEntry{}, badRequest("header %s %q is not a byte offset", HeaderOffset, v)
		}
		opts.Offset = n
	}
	if r.ContentLength > 0 {
		opts.Size = opts.Offset + r.ContentLength
	}
	return sp.Put(r.Context(), rel, r.Body, opts)
}

func isTrue(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}

func writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// writeError answers err as an api.Error; status 0 picks the status of
// its code.
func writeError(w http.ResponseWriter, r *http.Request, err error, status int) {
	code, body := statusOf(err)
	if status == 0 {
		status = code
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_ = json.NewEncoder(w).Encode(body)
	}
}
