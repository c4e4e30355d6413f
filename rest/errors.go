package rest

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// statusOf is the one place that maps an error to an HTTP status and the
// api.Error body sent for it. Errors that carry no api.Error become a 500
// with a generic message; the caller logs the original.
func statusOf(err error) (int, *api.Error) {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge, api.Errorf(api.CodeBadRequest,
			"request body larger than %d bytes", tooLarge.Limit)
	}
	var e *api.Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError, api.Errorf(api.CodeInternal, "internal error")
	}
	switch e.Code {
	case api.CodeInvalid, api.CodeBadRequest:
		return http.StatusBadRequest, e
	case api.CodeUnauthorized, api.CodeBadToken:
		return http.StatusUnauthorized, e
	case api.CodeForbidden:
		return http.StatusForbidden, e
	case api.CodeNotFound:
		return http.StatusNotFound, e
	case api.CodeConflict:
		return http.StatusConflict, e
	case api.CodeQuota:
		return http.StatusRequestEntityTooLarge, e
	case api.CodeChecksum:
		return http.StatusUnprocessableEntity, e
	case api.CodeUnavailable:
		return http.StatusServiceUnavailable, e
	case api.CodeInternal:
		return http.StatusInternalServerError, e
	default:
		return http.StatusInternalServerError, api.Errorf(api.CodeInternal, "internal error")
	}
}

// abort ends the request with the JSON error body for err. Server-side
// failures (5xx) are logged with the original error, which is never sent.
func (s *server) abort(c *gin.Context, err error) {
	status, body := statusOf(err)
	if status >= http.StatusInternalServerError {
		s.log.ErrorContext(c.Request.Context(), "request failed",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", status),
			slog.Any("err", err))
	}
	c.AbortWithStatusJSON(status, body)
}

// badRequest builds a CodeBadRequest error.
func badRequest(format string, args ...any) *api.Error {
	return api.Errorf(api.CodeBadRequest, format, args...)
}

// notFoundRoute answers unknown routes.
func notFoundRoute(c *gin.Context) {
	c.AbortWithStatusJSON(http.StatusNotFound,
		api.Errorf(api.CodeNotFound, "no route %s %s", c.Request.Method, c.Request.URL.Path))
}
