package rest

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// principalKey is the gin context key of the authenticated Principal.
const principalKey = "shrike.principal"

// logRequests logs every request at Debug level once it is answered.
func (s *server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.log.LogAttrs(c.Request.Context(), slog.LevelDebug, "http request",
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("duration", time.Since(start)),
		slog.String("remote", c.ClientIP()))
}

// recoverPanics turns a panicking handler into a logged 500.
func (s *server) recoverPanics(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.abort(c, fmt.Errorf("panic: %v", v))
		}
	}()
	c.Next()
}

// limitBody bounds every request body to the configured size; reading past
// it fails with *http.MaxBytesError, which statusOf maps to 413. File
// uploads (streamsBody) are bounded by space quotas instead.
func (s *server) limitBody(c *gin.Context) {
	if c.Request.Body != nil && !streamsBody(c) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody)
	}
	c.Next()
}

// authenticate resolves the bearer token into a Principal, or answers 401.
func (s *server) authenticate(c *gin.Context) {
	token, ok := bearerToken(c.Request)
	if !ok {
		s.abort(c, api.Errorf(api.CodeUnauthorized, "missing bearer token: log in first"))
		return
	}
	p, err := s.b.Authenticate(c.Request.Context(), token)
	if err != nil {
		s.abort(c, err)
		return
	}
	if p.Scope != nil && !scopedRoute(c.FullPath()) {
		s.abort(c, api.Errorf(api.CodeForbidden,
			"a job-scoped token may only submit jobs, and read, wait for and control its own job (%d) and the jobs its tasks submitted (/api/v1/jobs and /api/v1/events), not %s %s",
			p.Scope.JobID, c.Request.Method, c.Request.URL.Path))
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

// scopedRoute reports whether a job-scoped caller (a running task's
// token) may use the route: the jobs API and the event stream only. The
// backend then keeps it to its own job's tree (Backend doc); everything
// else (nodes, sources, spaces, users, the scheduler, logout) is refused
// here, in one place.
func scopedRoute(route string) bool {
	return route == "/api/v1/jobs" || strings.HasPrefix(route, "/api/v1/jobs/") || route == "/api/v1/events"
}

// bearerToken reads "Authorization: Bearer TOKEN".
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// principal returns the caller set by authenticate.
func principal(c *gin.Context) Principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(Principal)
	return pr
}
