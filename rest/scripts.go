package rest

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// testScript answers POST /api/v1/scripts/test: it evaluates one selection
// script against a live node (admins only). The body is decoded strictly;
// the Backend checks the request itself (the node, exactly one of lua and
// file, the type) and refuses non-admins.
func (s *server) testScript(c *gin.Context) {
	var req api.ScriptTestRequest
	if err := decodeStrict(c, &req, false); err != nil {
		s.abort(c, err)
		return
	}
	res, err := s.b.TestScript(c.Request.Context(), principal(c), req)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}
