package rest

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/shrike-grid/shrike/api"
)

// controlRoutes registers the job and task controls: each is a POST that
// returns the job as it is after the change.
func (s *server) controlRoutes(g *gin.RouterGroup) {
	g.POST("/jobs/:id/pause", s.jobControl(Backend.PauseJob))
	g.POST("/jobs/:id/resume", s.jobControl(Backend.ResumeJob))
	g.POST("/jobs/:id/restart-failed", s.jobControl(Backend.RestartFailed))
	for _, a := range api.TaskActions() {
		g.POST("/jobs/:id/tasks/:task/"+string(a), s.taskControl(a))
	}
}

// jobControl answers a job control: POST /api/v1/jobs/:id/ACTION, no body.
func (s *server) jobControl(do func(Backend, context.Context, Principal, int64) (api.Job, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := jobID(c)
		if err != nil {
			s.abort(c, err)
			return
		}
		job, err := do(s.b, c.Request.Context(), principal(c), id)
		if err != nil {
			s.abort(c, err)
			return
		}
		c.JSON(http.StatusOK, job)
	}
}

// taskControl answers POST /api/v1/jobs/:id/tasks/:task/ACTION with an
// optional body {"reason": "..."}.
func (s *server) taskControl(action api.TaskAction) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := jobID(c)
		if err != nil {
			s.abort(c, err)
			return
		}
		var req api.ControlRequest
		if err := decodeStrict(c, &req, true); err != nil {
			s.abort(c, err)
			return
		}
		job, err := s.b.ControlTask(c.Request.Context(), principal(c), id, c.Param("task"), action, req.Reason)
		if err != nil {
			s.abort(c, err)
			return
		}
		c.JSON(http.StatusOK, job)
	}
}
