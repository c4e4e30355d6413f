package rest

import (
	"encoding/json"

	"github.com/gin-gonic/gin"

	"github.com/shrike-grid/shrike/api"
)

// execTask answers POST /api/v1/jobs/:id/tasks/:task/exec with body
// api.TaskExecRequest: it runs a command on one of the nodes of the
// task's running attempt and streams the answer as NDJSON (chunked), one
// api.ExecOutput a line: output pieces as they come, then the exit code
// or an error. Refusals (bad body, no access, task not running, node not
// the task's) are plain error answers before the stream starts.
func (s *server) execTask(c *gin.Context) {
	id, err := jobID(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	var req api.TaskExecRequest
	if err := decodeStrict(c, &req, false); err != nil {
		s.abort(c, err)
		return
	}
	ctx := c.Request.Context()
	ch, err := s.b.ExecTask(ctx, principal(c), id, c.Param("task"), req)
	if err != nil {
		s.abort(c, err)
		return
	}
	startStream(c, "application/x-ndjson")
	enc := json.NewEncoder(c.Writer)
	final := false
	for o := range ch {
		final = o.ExitCode != nil || o.Error != nil
		if err := enc.Encode(o); err != nil {
			return // the client went away: ctx ends, the backend stops
		}
		c.Writer.Flush()
	}
	if !final && ctx.Err() == nil {
		_ = enc.Encode(api.ExecOutput{Error: api.Errorf(api.CodeInternal, "the exec ended without an exit code")})
	}
}
