// Package e2e holds Shrike's end-to-end tests. TestMain builds the shrike
// binary once; each test starts a real server process (embedded NATS on a
// free port, SQLite in a temp dir) and real node agent processes, then
// drives them through the REST API and the CLI, as a user would.
package e2e
