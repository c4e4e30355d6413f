package rest

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
)

// spaceGet answers GET (and HEAD) /api/v1/spaces/:space/*path: a file's
// bytes (Range honoured), or a directory's listing.
func (s *server) spaceGet(c *gin.Context) {
	sp, _, err := s.b.Space(c.Request.Context(), principal(c), c.Param("space"))
	if err != nil {
		s.abort(c, spaceError(err, "space"))
		return
	}
	s.serveSpace(c, sp)
}

// spacePut answers PUT /api/v1/spaces/:space/*path: the body becomes the
// file (streamed, written atomically), or with ?mkdir=1 the path becomes a
// directory.
func (s *server) spacePut(c *gin.Context) {
	sp, ok := s.writableSpace(c)
	if ok {
		s.receiveSpace(c, sp)
	}
}

// spaceDelete answers DELETE /api/v1/spaces/:space/*path; a directory
// that is not empty needs ?recursive=1.
func (s *server) spaceDelete(c *gin.Context) {
	sp, ok := s.writableSpace(c)
	if !ok {
		return
	}
	var errs []api.FieldError
	recursive := queryBool(c, "recursive", &errs)
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	rel, _ := spacePath(c)
	if rel == "" {
		s.abort(c, api.Invalid([]api.FieldError{{Field: "path", Message: "the space's root cannot be removed"}}))
		return
	}
	if !recursive {
		if err := mustBeEmpty(sp, rel); err != nil {
			s.abort(c, err)
			return
		}
	}
	if err := sp.Remove(rel); err != nil {
		s.abort(c, spaceError(err, "path"))
		return
	}
	c.Status(http.StatusNoContent)
}

// spacePost answers POST /api/v1/spaces/:space/*path?op=move with an
// api.SpaceMove body: the file or directory moves to body.To in the same
// space; the answer is its entry there.
func (s *server) spacePost(c *gin.Context) {
	if op := c.Query("op"); op != "move" {
		s.abort(c, api.Invalid([]api.FieldError{{Field: "op", Message: "want op=move, got " + quoteOrNone(op)}}))
		return
	}
	sp, ok := s.writableSpace(c)
	if !ok {
		return
	}
	var req api.SpaceMove
	if err := decodeJSON(c, &req); err != nil {
		s.abort(c, err)
		return
	}
	from, _ := spacePath(c)
	to := strings.Trim(req.To, "/")
	var errs []api.FieldError
	if from == "" {
		errs = append(errs, api.FieldError{Field: "path", Message: "the space's root cannot be moved"})
	}
	if to == "" {
		errs = append(errs, api.FieldError{Field: "to", Message: "required: the new path in the same space"})
	}
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	if err := sp.Move(from, to); err != nil {
		s.abort(c, moveError(err, sp, from))
		return
	}
	entry, err := sp.Stat(to)
	if err != nil {
		s.abort(c, spaceError(err, "to"))
		return
	}
	c.JSON(http.StatusOK, entry)
}

// writableSpace returns the request's space if the caller may write it;
// otherwise it answers (403 for the global space and a user).
func (s *server) writableSpace(c *gin.Context) (*dataspace.Space, bool) {
	name := c.Param("space")
	sp, write, err := s.b.Space(c.Request.Context(), principal(c), name)
	if err != nil {
		s.abort(c, spaceError(err, "space"))
		return nil, false
	}
	if !write {
		s.abort(c, api.Errorf(api.CodeForbidden, "the %s space is read-only for you: only admins write it", name))
		return nil, false
	}
	return sp, true
}

// mustBeEmpty refuses to remove a directory that is not empty (409)
// unless the request says recursive.
func mustBeEmpty(sp *dataspace.Space, rel string) error {
	entry, err := sp.Stat(rel)
	if err != nil {
		return spaceError(err, "path")
	}
	if !entry.Dir {
		return nil
	}
	entries, err := sp.List(rel)
	if err != nil {
		return spaceError(err, "path")
	}
	if len(entries) > 0 {
		return api.Errorf(api.CodeConflict, "directory %q is not empty (recursive=1 removes it and everything in it)", rel)
	}
	return nil
}

// moveError maps a failed move: a bad or taken destination names the
// "to" field, a missing source the path.
func moveError(err error, sp *dataspace.Space, from string) error {
	if _, serr := sp.Stat(from); serr != nil {
		return spaceError(serr, "path")
	}
	return spaceError(err, "to")
}

// quoteOrNone quotes s, or says it is missing.
func quoteOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return `"` + s + `"`
}
