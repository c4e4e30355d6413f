package rest

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// login answers POST /api/v1/auth/login with a bearer token.
func (s *server) login(c *gin.Context) {
	var req api.LoginRequest
	if err := decodeJSON(c, &req); err != nil {
		s.abort(c, err)
		return
	}
	if req.Username == "" || req.Password == "" {
		s.abort(c, api.Invalid(missingCredentials(req)))
		return
	}
	resp, err := s.b.Login(c.Request.Context(), req.Username, req.Password)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusOK, resp)
}

// missingCredentials lists the empty fields of a login request.
func missingCredentials(req api.LoginRequest) []api.FieldError {
	var errs []api.FieldError
	if req.Username == "" {
		errs = append(errs, api.FieldError{Field: "username", Message: "required"})
	}
	if req.Password == "" {
		errs = append(errs, api.FieldError{Field: "password", Message: "required"})
	}
	return errs
}

// logout answers POST /api/v1/auth/logout: the caller's token stops working.
func (s *server) logout(c *gin.Context) {
	token, _ := bearerToken(c.Request)
	if err := s.b.Logout(c.Request.Context(), token); err != nil {
		s.abort(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
