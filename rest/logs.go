package rest

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// logPageSize is the most output one Backend.TaskLog call returns.
const logPageSize = 64 << 10

// logRequest is one GET .../logs request, read from the URL.
type logRequest struct {
	job     int64
	task    string
	attempt int
	offset  int64
	follow  bool
}

// taskLog answers GET /api/v1/jobs/:id/tasks/:task/logs?follow=&attempt=&offset=
// with the task's output as text/plain. It writes the output that exists
// page by page; with follow it keeps polling until the attempt is over and
// all of its output was written, or the client goes away. Without follow,
// the trailer X-Shrike-Done says whether that was all of it (the client
// follows with reads from where it stopped, woken by the job's events).
func (s *server) taskLog(c *gin.Context) {
	req, err := readLogRequest(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	ctx, p := c.Request.Context(), principal(c)
	page, err := s.b.TaskLog(ctx, p, req.job, req.task, req.attempt, req.offset, logPageSize)
	if err != nil {
		s.abort(c, err)
		return
	}
	// Stay on the attempt the first page resolved "latest" to, even if
	// another attempt starts while we follow.
	req.attempt = page.Attempt
	c.Header("Content-Type", "text/plain; charset=utf-8")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header(api.HeaderAttempt, strconv.Itoa(page.Attempt))
	if !req.follow {
		c.Header("Trailer", api.TrailerLogDone)
	}
	c.Status(http.StatusOK)
	c.Writer.WriteHeaderNow()
	c.Writer.Flush()
	for {
		if len(page.Data) > 0 {
			if _, err = c.Writer.Write(page.Data); err != nil {
				return // the client went away
			}
			c.Writer.Flush()
		}
		req.offset = page.Next
		if page.Done || len(page.Data) == 0 && !req.follow {
			if !req.follow {
				c.Writer.Header().Set(api.TrailerLogDone, strconv.FormatBool(page.Done))
			}
			return
		}
		if len(page.Data) == 0 && !sleepCtx(ctx, s.logPoll) {
			return
		}
		page, err = s.b.TaskLog(ctx, p, req.job, req.task, req.attempt, req.offset, logPageSize)
		if err != nil {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "task log stream ended early",
					slog.Int64("job", req.job), slog.String("task", req.task), slog.Any("err", err))
			}
			return
		}
	}
}

// readLogRequest reads the path and query of a log request.
func readLogRequest(c *gin.Context) (logRequest, error) {
	id, err := jobID(c)
	if err != nil {
		return logRequest{}, err
	}
	req := logRequest{job: id, task: c.Param("task")}
	var errs []api.FieldError
	req.attempt = queryInt(c, "attempt", 0, &errs)
	req.offset = queryInt64(c, "offset", 0, 63, &errs)
	req.follow = queryBool(c, "follow", &errs)
	if len(errs) > 0 {
		return logRequest{}, api.Invalid(errs)
	}
	return req, nil
}

// sleepCtx waits for d; it returns false if ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
