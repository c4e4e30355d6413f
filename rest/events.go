package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// events answers GET /api/v1/events?after=N&job=ID as Server-Sent Events:
// the events with Seq > N (or > the Last-Event-ID header, which a
// reconnecting client sends and which wins over after), then new ones as
// they happen. Each message carries "id: <seq>" and the event as JSON;
// a ": ping" comment every Options.EventPing keeps proxies from closing an
// idle stream. A client that falls behind gets an "overflow" message
// (its id is the last event sent) and the stream ends: reconnect from it.
func (s *server) events(c *gin.Context) {
	var errs []api.FieldError
	after := queryInt64(c, "after", 0, 63, &errs)
	job := queryInt64(c, "job", 0, 63, &errs)
	if raw := c.GetHeader("Last-Event-ID"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, api.FieldError{Field: "Last-Event-ID",
				Message: "must be a non-negative integer, got " + strconv.Quote(raw)})
		} else {
			after = n
		}
	}
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	ctx := c.Request.Context()
	ch, err := s.b.Events(ctx, principal(c), uint64(after), job)
	if err != nil {
		s.abort(c, err)
		return
	}
	startStream(c, "text/event-stream")
	ping := time.NewTicker(s.eventPing)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			if _, err := c.Writer.WriteString(": ping\n\n"); err != nil {
				return
			}
		case e, ok := <-ch:
			if !ok {
				return
			}
			if err := writeEvent(c.Writer, e); err != nil || e.Kind == api.EventOverflow {
				return
			}
		}
		c.Writer.Flush()
	}
}

// writeEvent writes one SSE message: overflow markers as type "overflow",
// events as the default type.
func writeEvent(w gin.ResponseWriter, e api.Event) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	typ := ""
	if e.Kind == api.EventOverflow {
		typ = "event: " + api.EventOverflow + "\n"
	}
	if _, err := fmt.Fprintf(w, "%sid: %d\ndata: %s\n\n", typ, e.Seq, data); err != nil {
		return err
	}
	return nil
}

// startStream sends the headers of a streamed answer (200, contentType,
// nothing cached or buffered on the way) so that the client sees it
// start before the first piece.
func startStream(c *gin.Context, contentType string) {
	c.Header("Content-Type", contentType)
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Status(http.StatusOK)
	c.Writer.WriteHeaderNow()
	c.Writer.Flush()
}
