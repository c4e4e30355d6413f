package rest

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// createUser answers POST /api/v1/users (the Backend lets admins only).
func (s *server) createUser(c *gin.Context) {
	var req api.CreateUserRequest
	if err := decodeJSON(c, &req); err != nil {
		s.abort(c, err)
		return
	}
	u, err := s.b.CreateUser(c.Request.Context(), principal(c), req)
	if err != nil {
		s.abort(c, err)
		return
	}
	c.JSON(http.StatusCreated, u)
}

// listUsers answers GET /api/v1/users.
func (s *server) listUsers(c *gin.Context) {
	users, err := s.b.ListUsers(c.Request.Context(), principal(c))
	if err != nil {
		s.abort(c, err)
		return
	}
	if users == nil {
		users = []api.User{}
	}
	c.JSON(http.StatusOK, users)
}
