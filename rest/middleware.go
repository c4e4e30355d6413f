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
	c.Set(principalKey, p)
	c.Next()
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
