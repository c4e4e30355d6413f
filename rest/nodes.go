package rest

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// listNodes answers GET /api/v1/nodes.
func (s *server) listNodes(c *gin.Context) {
	nodes, err := s.b.ListNodes(c.Request.Context(), principal(c))
	if err != nil {
		s.abort(c, err)
		return
	}
	if nodes == nil {
		nodes = []api.Node{}
	}
	c.JSON(http.StatusOK, nodes)
}
