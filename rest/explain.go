package rest

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// explainJob answers GET /api/v1/jobs/:id/explain?node=NAME: why each
// pending task of the job waits, counted across nodes, and with node set
// that node's detailed verdict. Another user's job is not found, as in
// GET /jobs/:id.
func (s *server) explainJob(c *gin.Context) {
	id, err := jobID(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	node := c.Query("node")
	if node != "" {
		if err := api.ValidateNodeName(node); err != nil {
			s.abort(c, api.Invalid([]api.FieldError{{Field: "node", Message: err.Error()}}))
			return
		}
	}
	explain, err := s.b.ExplainJob(c.Request.Context(), principal(c), id, node)
	if err != nil {
		s.abort(c, err)
		return
	}
	if explain.Tasks == nil {
		explain.Tasks = []api.TaskExplain{}
	}
	c.JSON(http.StatusOK, explain)
}
