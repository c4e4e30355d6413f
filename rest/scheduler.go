package rest

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// getScheduler answers GET /api/v1/scheduler with the scheduler's state.
func (s *server) getScheduler(c *gin.Context) {
	st, err := s.b.Scheduler(c.Request.Context(), principal(c))
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

// putScheduler answers PUT /api/v1/scheduler: a new state or the kill
// action (the Backend lets admins only).
func (s *server) putScheduler(c *gin.Context) {
	var u api.SchedulerUpdate
	if err := decodeJSON(c, &u); err != nil {
		s.abort(c, err)
		return
	}
	if !principal(c).IsAdmin() {
		s.abort(c, api.Errorf(api.CodeForbidden, "only admins may change the scheduler's state"))
		return
	}
	if errs := u.Validate(); len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	st, err := s.b.SetScheduler(c.Request.Context(), principal(c), u)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

// schedulerStats answers GET /api/v1/scheduler/stats?user=NAME.
func (s *server) schedulerStats(c *gin.Context) {
	st, err := s.b.SchedulerStats(c.Request.Context(), principal(c), c.Query("user"))
	if err != nil {
		s.abort(c, err)
		return
	}
	if st.Jobs == nil {
		st.Jobs = map[api.JobState]int{}
	}
	c.JSON(http.StatusOK, st)
}
