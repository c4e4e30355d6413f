package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// jobResults answers GET /api/v1/jobs/:id/result with every task's
// result: {"results": {"task": result, ...}}.
func (s *server) jobResults(c *gin.Context) {
	id, err := jobID(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	res, err := s.b.JobResults(c.Request.Context(), principal(c), id)
	if err != nil {
		s.abort(c, err)
		return
	}
	if res.Results == nil {
		res.Results = map[string]json.RawMessage{}
	}
	c.JSON(http.StatusOK, res)
}

// taskResult answers GET /api/v1/jobs/:id/tasks/:task/result with the
// task's result as it is (JSON); 404 saying why when it has none.
func (s *server) taskResult(c *gin.Context) {
	id, err := jobID(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	res, err := s.b.TaskResult(c.Request.Context(), principal(c), id, c.Param("task"))
	if err != nil {
		s.abort(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json", res)
}

// jobServerLogs answers GET /api/v1/jobs/:id/server-logs?after=SEQ: the
// scheduler's account of the job as {"lines": [...]}, or as text, one line
// each ("TIME [task#attempt] message"), with format=text or
// Accept: text/plain.
func (s *server) jobServerLogs(c *gin.Context) {
	id, err := jobID(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	var errs []api.FieldError
	after := queryInt64(c, "after", 0, 63, &errs)
	format := c.Query("format")
	switch format {
	case "", "json", "text":
	default:
		errs = append(errs, api.FieldError{Field: "format", Message: fmt.Sprintf("%q is not json or text", format)})
	}
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	lines, err := s.b.JobServerLogs(c.Request.Context(), principal(c), id, after)
	if err != nil {
		s.abort(c, err)
		return
	}
	if format == "text" || format == "" && wantsText(c.GetHeader("Accept")) {
		c.Header("X-Content-Type-Options", "nosniff")
		c.String(http.StatusOK, "%s", api.FormatServerLog(lines, time.UTC))
		return
	}
	if lines == nil {
		lines = []api.ServerLogLine{}
	}
	c.JSON(http.StatusOK, api.ServerLog{Lines: lines})
}

// wantsText reports whether an Accept header asks for text/plain before
// JSON.
func wantsText(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.TrimSpace(mt) {
		case "text/plain":
			return true
		case "application/json", "*/*":
			return false
		}
	}
	return false
}
