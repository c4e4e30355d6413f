package rest

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// priorityBody is the body of PUT /jobs/:id/priority as read: the name is
// checked here so that a missing one is an error rather than "idle".
type priorityBody struct {
	Priority *string `json:"priority"`
}

// putJobPriority answers PUT /api/v1/jobs/:id/priority {"priority": "high"}:
// it changes a pending or running job's priority (the Backend checks the
// caller's limit) and returns the job as it is after the change.
func (s *server) putJobPriority(c *gin.Context) {
	id, err := jobID(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	var b priorityBody
	if err := decodeStrict(c, &b, false); err != nil {
		s.abort(c, err)
		return
	}
	if b.Priority == nil {
		s.abort(c, api.Invalid([]api.FieldError{{Field: "priority", Message: "required field is missing"}}))
		return
	}
	pr, err := api.ParsePriority(*b.Priority)
	if err != nil {
		s.abort(c, api.Invalid([]api.FieldError{{Field: "priority", Message: err.Error()}}))
		return
	}
	ctx, p := c.Request.Context(), principal(c)
	job, err := s.b.SetJobPriority(ctx, p, id, pr)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, job)
}
