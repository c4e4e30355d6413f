package rest

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
)

// This file holds what the user's routes of every space share: reading
// files and listings, receiving uploads, and mapping dataspace errors.

// spacePath reads the *path wildcard: the path relative to the space
// root, without its leading "/" and the trailing one of a directory
// (dir). The root is "". Paths are checked by the space (Resolve), never
// here: "..", absolute paths ("//etc") and NUL bytes come back as
// dataspace.ErrBadPath.
func spacePath(c *gin.Context) (rel string, dir bool) {
	p := c.Param("path")
	dir = p == "" || p == "/" || strings.HasSuffix(p, "/")
	rel = strings.TrimPrefix(p, "/")
	if dir {
		rel = strings.TrimSuffix(rel, "/")
	}
	return rel, dir
}

// spaceQuery is what the query of a GET on a space asks for.
type spaceQuery struct {
	stat bool // the entry of the path itself
	walk bool // every file under the directory that include= and exclude= choose
}

// readSpaceQuery reads ?stat=1 and ?walk=1 and checks the repeatable
// include= and exclude= globs of a walk (relative to the space root).
func readSpaceQuery(c *gin.Context) (spaceQuery, error) {
	var (
		q    spaceQuery
		errs []api.FieldError
	)
	q.stat = queryBool(c, "stat", &errs)
	q.walk = queryBool(c, "walk", &errs)
	sel := dataspace.Selector{Include: c.QueryArray("include"), Exclude: c.QueryArray("exclude")}
	if err := sel.Validate(); err != nil {
		var e *api.Error
		if errors.As(err, &e) && len(e.Errors) > 0 {
			errs = append(errs, e.Errors...)
		} else {
			errs = append(errs, api.FieldError{Field: "include", Message: strings.TrimPrefix(err.Error(), "dataspace: ")})
		}
	}
	if q.stat && q.walk {
		errs = append(errs, api.FieldError{Field: "walk", Message: "cannot be combined with stat"})
	}
	if !q.walk && (len(sel.Include) > 0 || len(sel.Exclude) > 0) {
		errs = append(errs, api.FieldError{Field: "include", Message: "include and exclude need walk=1"})
	}
	if len(errs) > 0 {
		return q, api.Invalid(errs)
	}
	return q, nil
}

// serveSpace answers a GET or HEAD on a space: with ?stat=1 the path's
// api.SpaceEntry; otherwise what dataspace.Space.ServeHTTPFile sends: a
// file's bytes (Range, conditional requests, X-Shrike-SHA256), a
// directory's api.SpaceList, or with ?walk=1 every file under it that the
// globs choose, each with its sha256. The path is checked here first, so
// that its errors name the field.
func (s *server) serveSpace(c *gin.Context, sp *dataspace.Space) {
	q, err := readSpaceQuery(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	rel, dir := spacePath(c)
	entry, err := sp.Stat(rel)
	if err != nil {
		s.abort(c, spaceError(err, "path"))
		return
	}
	switch {
	case q.stat:
		c.JSON(http.StatusOK, entry)
	case (dir || q.walk) && !entry.Dir:
		s.abort(c, api.Errorf(api.CodeNotFound, "%s:%s is a file, not a directory", sp.Name(), rel))
	default:
		sp.ServeHTTPFile(c.Writer, c.Request, rel)
	}
}

// receiveSpace answers a PUT on a space the caller may write: ?mkdir=1
// (with no body) makes the path a directory, otherwise the body becomes
// the file (X-Shrike-SHA256 checked, X-Shrike-Offset resumes). The answer
// is 201 with the new api.SpaceEntry.
func (s *server) receiveSpace(c *gin.Context, sp *dataspace.Space) {
	var errs []api.FieldError
	mkdir := queryBool(c, "mkdir", &errs)
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	rel, dir := spacePath(c)
	if rel == "" {
		s.abort(c, api.Invalid([]api.FieldError{{Field: "path", Message: "want a path under the space's root"}}))
		return
	}
	if !mkdir {
		if dir {
			s.abort(c, api.Invalid([]api.FieldError{{Field: "path",
				Message: "ends in /: a file needs a name (or use mkdir=1 for a directory)"}}))
			return
		}
		s.receiveFile(c, sp, rel)
		return
	}
	if c.Request.ContentLength > 0 {
		s.abort(c, api.Invalid([]api.FieldError{{Field: "mkdir", Message: "a directory is made with an empty body"}}))
		return
	}
	if err := sp.Mkdir(rel); err != nil {
		s.abort(c, spaceError(err, "path"))
		return
	}
	entry, err := sp.Stat(rel)
	if err != nil {
		s.abort(c, spaceError(err, "path"))
		return
	}
	c.JSON(http.StatusCreated, entry)
}

// receiveFile stores the body of a PUT as the file rel, checked first
// with Resolve (ReceiveHTTPFile would take "/etc" for "etc").
func (s *server) receiveFile(c *gin.Context, sp *dataspace.Space, rel string) {
	if _, err := sp.Resolve(rel); err != nil {
		s.abort(c, spaceError(err, "path"))
		return
	}
	entry, err := sp.ReceiveHTTPFile(c.Request, rel)
	if err != nil {
		s.abort(c, spaceError(err, "path"))
		return
	}
	c.JSON(http.StatusCreated, entry)
}

// spaceError maps an error of a space to the API: a path that is not
// allowed names field; a missing path is 404, one that exists already
// 409, a full quota 413 (CodeQuota) and a checksum mismatch 422
// (CodeChecksum). Other *api.Error values (from the Backend, or the
// dataspace's own codes) are kept.
func spaceError(err error, field string) error {
	msg := strings.TrimPrefix(err.Error(), "dataspace: ")
	switch {
	case errors.Is(err, dataspace.ErrBadPath):
		return api.Invalid([]api.FieldError{{Field: field, Message: msg}})
	case errors.Is(err, dataspace.ErrNotFound):
		return api.Errorf(api.CodeNotFound, "%s", msg)
	case errors.Is(err, dataspace.ErrExists):
		return api.Errorf(api.CodeConflict, "%s", msg)
	case errors.Is(err, dataspace.ErrQuota):
		return api.Errorf(api.CodeQuota, "%s: remove files from your space or ask an admin for more", msg)
	case errors.Is(err, dataspace.ErrChecksum):
		return api.Errorf(api.CodeChecksum, "%s: the upload was damaged on the way and not kept; send it again", msg)
	}
	return err
}

// streamsBody reports whether the request is a file upload, whose body is
// streamed to a space (PUT on a route ending in *path) rather than read
// into memory, so it is not bounded by Options.MaxBodyBytes.
func streamsBody(c *gin.Context) bool {
	return c.Request.Method == http.MethodPut && strings.HasSuffix(c.FullPath(), "/*path")
}
