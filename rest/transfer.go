package rest

import (
	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
)

// The transfer routes are how nodes move a task's declared files
// (dataspace.Client). Their bearer token is the capability of an
// api.Staging, resolved by Backend.TransferSpace, never a user's session.

// transferGet answers GET (and HEAD) /api/v1/transfer/:space/*path with
// dataspace.Space.ServeHTTPFile: a file's bytes (ranges resume a
// download), a directory's listing, with ?walk=1 the files under it that
// include= and exclude= globs choose (the root's is ServeHTTPWalk), and a
// HEAD with X-Shrike-SHA256 says how much of an upload the server holds.
func (s *server) transferGet(c *gin.Context) {
	sp, _, ok := s.transferSpace(c)
	if !ok {
		return
	}
	rel, _ := spacePath(c)
	if _, err := sp.Resolve(rel); err != nil {
		s.abort(c, spaceError(err, "path"))
		return
	}
	sp.ServeHTTPFile(c.Writer, c.Request, rel)
}

// transferPut answers PUT /api/v1/transfer/:space/*path with the file
// received (ReceiveHTTPFile: sha256-checked, resumable); 403 when the
// capability does not write that space.
func (s *server) transferPut(c *gin.Context) {
	sp, write, ok := s.transferSpace(c)
	if !ok {
		return
	}
	if !write {
		s.abort(c, api.Errorf(api.CodeForbidden, "this transfer token may not write the %s space", c.Param("space")))
		return
	}
	rel, _ := spacePath(c)
	s.receiveFile(c, sp, rel)
}

// transferSpace resolves the request's capability token to its space, or
// answers 401 (no or bad token) or 403 (a space it does not open).
func (s *server) transferSpace(c *gin.Context) (*dataspace.Space, bool, bool) {
	token, ok := bearerToken(c.Request)
	if !ok {
		s.abort(c, api.Errorf(api.CodeUnauthorized, "missing bearer transfer token"))
		return nil, false, false
	}
	sp, write, err := s.b.TransferSpace(c.Request.Context(), token, c.Param("space"))
	if err != nil {
		s.abort(c, spaceError(err, "space"))
		return nil, false, false
	}
	return sp, write, true
}
