package api

import "time"

// Roles a user may have.
const (
	RoleAdmin = "admin"
	RoleUser  = "user"
)

// LoginRequest is the body of `POST /auth/login`.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginResponse carries the bearer token for later calls.
type LoginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Username  string    `json:"username"`
	Role      string    `json:"role"`
}

// User is the REST view of a user account.
type User struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Groups    []string  `json:"groups,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateUserRequest is the body of `POST /users` (admins only).
type CreateUserRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
	// Groups the user belongs to (node-source access rights name them).
	Groups []string `json:"groups,omitempty"`
}

// Health is the answer to `GET /healthz`.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// Version is the version of this build; the linker may override it.
var Version = "0.1.0-dev"
