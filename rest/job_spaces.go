package rest

import (
	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
)

// jobSpaceGet answers GET (and HEAD) /api/v1/jobs/:id/{input,output}/*path
// like a GET on a user's space: a file's bytes or a directory's listing.
func (s *server) jobSpaceGet(space string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if sp, ok := s.jobSpace(c, space); ok {
			s.serveSpace(c, sp)
		}
	}
}

// jobInputPut answers PUT /api/v1/jobs/:id/input/*path: the job's owner
// (or an admin) fills its input space, like a PUT on a user's space.
func (s *server) jobInputPut(c *gin.Context) {
	if sp, ok := s.jobSpace(c, api.SpaceInput); ok {
		s.receiveSpace(c, sp)
	}
}

// jobSpace returns a space of the job in the path, or answers.
func (s *server) jobSpace(c *gin.Context, space string) (*dataspace.Space, bool) {
	id, err := jobID(c)
	if err != nil {
		s.abort(c, err)
		return nil, false
	}
	sp, err := s.b.JobSpace(c.Request.Context(), principal(c), id, space)
	if err != nil {
		s.abort(c, spaceError(err, "space"))
		return nil, false
	}
	return sp, true
}
