package rest

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// Limits of GET /rm/events.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
)

// rmRanges are the ranges GET /rm/history accepts; the first is the default.
var rmRanges = []string{"1h", "1d", "1w"}

// rmStats answers GET /api/v1/rm with node counts and capacity.
func (s *server) rmStats(c *gin.Context) {
	st, err := s.b.RMStats(c.Request.Context(), principal(c))
	if err != nil {
		s.abort(c, err)
		return
	}
	if st.ByState == nil {
		st.ByState = map[api.NodeState]int{}
	}
	if st.BySource == nil {
		st.BySource = map[string]int{}
	}
	c.JSON(http.StatusOK, st)
}

// rmEvents answers GET /api/v1/rm/events?after=&limit= with the node
// events after Seq `after`, oldest first.
func (s *server) rmEvents(c *gin.Context) {
	var errs []api.FieldError
	after := queryInt64(c, "after", 0, 63, &errs)
	limit := queryInt(c, "limit", defaultEventLimit, &errs)
	if _, given := c.GetQuery("limit"); given && len(errs) == 0 && (limit < 1 || limit > maxEventLimit) {
		errs = append(errs, api.FieldError{Field: "limit",
			Message: "must be between 1 and " + strconv.Itoa(maxEventLimit) + ", got " + strconv.Itoa(limit)})
	}
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	list, err := s.b.RMEvents(c.Request.Context(), principal(c), after, limit)
	if err != nil {
		s.abort(c, err)
		return
	}
	if list.Events == nil {
		list.Events = []api.NodeEvent{}
	}
	c.JSON(http.StatusOK, list)
}

// rmHistory answers GET /api/v1/rm/history?range=1h|1d|1w.
func (s *server) rmHistory(c *gin.Context) {
	rng := c.Query("range")
	if rng == "" {
		rng = rmRanges[0]
	}
	if !slices.Contains(rmRanges, rng) {
		s.abort(c, api.Invalid([]api.FieldError{{Field: "range",
			Message: "must be 1h, 1d or 1w, got " + strconv.Quote(rng)}}))
		return
	}
	h, err := s.b.RMHistory(c.Request.Context(), principal(c), rng)
	if err != nil {
		s.abort(c, err)
		return
	}
	if h.Samples == nil {
		h.Samples = []api.RMSample{}
	}
	c.JSON(http.StatusOK, h)
}
