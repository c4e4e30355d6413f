// Package store is the server's durable state: jobs, tasks, nodes, users and
// API sessions, behind the Store interface.
//
// # Implementations
//
// SQLite (OpenSQLite) is the default: one file in WAL mode, one writer
// connection and a small pool of query-only readers. A PostgreSQL
// implementation is to reuse the gorm models (models.go) and the shared
// queries (apply.go, write.go, query.go, accounts.go), which use only
// portable SQL; everything SQLite-specific (DSN pragmas, pools, WAL
// checkpoint, "?" bind parameters) lives in sqlite.go; PostgreSQL's "$n"
// bind parameters are dollarN in write.go. Every implementation must pass
// the contract suite in store/storetest.
//
// # Writes
//
// Jobs, tasks and nodes change only through Apply, one transaction per call.
// Apply does not go through gorm: it runs plain database/sql statements,
// prepared once on the writer pool and cached by table and row count
// (write.go), so a transaction neither re-prepares nor reflects.
// Jobs, tasks and nodes are whole-row upserts keyed by ID (or name); a job's
// state change (JobStates) touches only its state and finish time. Job and
// task IDs are chosen by the server, which allocates them in memory from
// MaxIDs at start, so many submissions can share one transaction.
//
// The server writes through one Committer (committer.go): the single writer
// with group commit. Callers block in Commit until their mutation is durable;
// meanwhile everything queued goes into the next transaction together, which
// is how SQLite reaches thousands of task updates per second with
// synchronous=FULL.
//
// # Schema
//
//	jobs     id PK, name, owner (idx), priority, state (idx), spec (JSON bytes), submitted_at, finished_at?
//	tasks    id PK, job_id → jobs.id (ON DELETE CASCADE), idx, unique (job_id, idx),
//	         name, state (idx), attempt, failures, node_losses, node, exit_code?,
//	         error, dispatched_at?, started_at?, finished_at?
//	nodes    name PK, state, instance, facts (JSON bytes), registered_at, last_seen
//	users    name PK, role, password_hash, created_at
//	sessions token_hash PK, user_name (idx), created_at, expires_at
//
// "?" marks a nullable column. Times are stored and returned in UTC.
// The schema is created and extended by gorm's AutoMigrate at open.
package store
