package rest

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// listQueues answers GET /api/v1/queues.
func (s *server) listQueues(c *gin.Context) {
	qs, err := s.b.Queues(c.Request.Context(), principal(c))
	if err != nil {
		s.abort(c, err)
		return
	}
	if qs == nil {
		qs = []api.Queue{}
	}
	c.JSON(http.StatusOK, qs)
}

// getQueue answers GET /api/v1/queues/{name}.
func (s *server) getQueue(c *gin.Context) {
	q, err := s.b.Queue(c.Request.Context(), principal(c), c.Param("name"))
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, q)
}
