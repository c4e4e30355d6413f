// Package rest is Shrike's HTTP API (gin) under /api/v1: bearer-token
// authentication, the job, node and user routes, and the mapping from
// api.Code to HTTP status, kept in one place (errors.go).
//
// The package knows nothing of NATS or the store: it talks to the server
// through the Backend interface it declares.
package rest
