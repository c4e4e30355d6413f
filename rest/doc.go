// Package rest is Shrike's HTTP API (gin) under /api/v1: bearer-token
// authentication, the job (with explain and dry run), node, node-source,
// selection-script test, resource-manager (rm) and user routes, the open POST /nodes/join by which a node trades an
// enrollment token for its credentials, and the mapping from api.Code to
// HTTP status, kept in one place (errors.go). Data spaces are read and
// written under /spaces/{global,user}/ and /jobs/{id}/{input,output}/
// (spaces.go, job_spaces.go, space_files.go; uploads are streamed, bounded
// by quotas rather than MaxBodyBytes), and nodes move task files under
// /transfer/{space}/ with a capability token instead of a session
// (transfer.go). It also serves /healthz and
// the embedded single-page web UI at / (web/index.html).
//
// The package knows nothing of NATS or the store: it talks to the server
// through the Backend interface it declares. Job documents are parsed and
// validated here, with jobspec, before the Backend sees them, so every
// Backend receives a valid api.JobSpec; a dry run (POST /jobs?dry_run=true)
// takes the same path and hands the spec to DryRunJob instead of
// SubmitJob. Node-source and script-test bodies are decoded strictly (strict.go: unknown fields and wrong types are reported with
// their paths, all at once); their parameters are the Backend's to check.
//
// Routes, bodies and status codes are documented in docs/api.md. The
// resttest package holds FakeBackend, an in-memory Backend for tests.
package rest
