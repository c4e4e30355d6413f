// Package api holds Shrike's wire contract: the job document, the REST JSON
// views, the NATS subject map and messages exchanged between the server and
// node agents, the stable error codes, and the Go REST client used by the CLI.
//
// It imports the standard library only, so every other package (and outside
// programs) can depend on it without pulling in the server's plumbing.
package api
