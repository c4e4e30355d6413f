package rest

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// createEnrollToken answers POST /api/v1/node-sources/:name/tokens with 201
// and the token, its secret included (the only time it is returned). The
// body, an api.EnrollTokenRequest, may be left out: a reusable token that
// lasts until revoked.
func (s *server) createEnrollToken(c *gin.Context) {
	name, err := sourceName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	var req api.EnrollTokenRequest
	if err = decodeStrict(c, &req, true); err != nil {
		s.abort(c, err)
		return
	}
	if req.TTL < 0 {
		s.abort(c, api.Invalid([]api.FieldError{{Field: "ttl", Message: "must not be negative"}}))
		return
	}
	tok, err := s.b.CreateEnrollToken(c.Request.Context(), principal(c), name, req)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusCreated, tok)
}

// listEnrollTokens answers GET /api/v1/node-sources/:name/tokens, without
// the secrets.
func (s *server) listEnrollTokens(c *gin.Context) {
	name, err := sourceName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	toks, err := s.b.ListEnrollTokens(c.Request.Context(), principal(c), name)
	if err != nil {
		s.abort(c, err)
		return
	}
	out := make([]api.EnrollToken, len(toks))
	for i, t := range toks {
		t.Token = "" // never read back, whatever the Backend answers
		out[i] = t
	}
	c.JSON(http.StatusOK, out)
}

// revokeEnrollToken answers DELETE /api/v1/node-sources/:name/tokens/:id
// with 204.
func (s *server) revokeEnrollToken(c *gin.Context) {
	name, err := sourceName(c)
	if err != nil {
		s.abort(c, err)
		return
	}
	if err = s.b.RevokeEnrollToken(c.Request.Context(), principal(c), name, c.Param("id")); err != nil {
		s.abort(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// joinNode answers POST /api/v1/nodes/join: a node trades an enrollment
// token for credentials of its own. It needs no login (the token is the
// authority), so it is registered outside the authenticated group.
func (s *server) joinNode(c *gin.Context) {
	var req api.JoinRequest
	if err := decodeStrict(c, &req, false); err != nil {
		s.abort(c, err)
		return
	}
	req.Token = strings.TrimSpace(req.Token)
	var errs []api.FieldError
	if req.Token == "" {
		errs = append(errs, api.FieldError{Field: "token", Message: "required"})
	}
	if err := api.ValidateNodeName(req.Name); err != nil {
		errs = append(errs, api.FieldError{Field: "name", Message: err.Error()})
	}
	if len(errs) > 0 {
		s.abort(c, api.Invalid(errs))
		return
	}
	cred, err := s.b.JoinNode(c.Request.Context(), req, requestURL(c.Request))
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, cred)
}

// requestURL is the server's URL as the client saw it: the scheme and the
// Host header of the request. X-Forwarded-Proto (set by a TLS-terminating
// proxy) is honoured when it says http or https: the URL only goes back,
// as information, to the same caller, who chooses the Host header anyway,
// so a forged header misleads no one but its sender.
func requestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	first, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	if p := strings.ToLower(strings.TrimSpace(first)); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host
}
