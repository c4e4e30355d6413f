// Package store is the server's durable state: jobs, tasks, nodes, node
// sources with their enrollment tokens and node credentials, users and API
// sessions, behind the Store interface.
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
// Jobs, tasks, nodes, node sources, enrollment tokens and node credentials
// change only through Apply, one transaction per call (users too, once
// created). Apply does not go through gorm: it runs plain database/sql
// statements, prepared once on the writer pool and cached by table and row
// count (write.go), so a transaction neither re-prepares nor reflects.
// Rows are whole-row upserts keyed by ID (or name), and deletions by key,
// issued after the upserts; a job's state change (JobStates) touches only
// its state and finish time. Job and task IDs are chosen by the server,
// which allocates them in memory from MaxIDs at start, so many submissions
// can share one transaction.
//
// A job holds the task IDs first_task_id to first_task_id+task_count-1
// (task index i has ID first_task_id+i), but a task's row may be written on
// its first change rather than with the job: the server does so for the
// instances of arrays, so that a job of 100,000 instances commits one row,
// not 100,000. A task without a row is PENDING and described by the job's
// spec; MaxIDs counts the IDs held, TaskCounts counts the missing rows as
// PENDING, and LoadActive and GetJob return the rows there are (the server
// rebuilds the others).
//
// The server writes through one Committer (committer.go): the single writer
// with group commit. Callers block in Commit until their mutation is durable;
// meanwhile everything queued goes into the next transaction together, which
// is how SQLite reaches thousands of task updates per second with
// synchronous=FULL.
//
// # Schema
//
//	jobs     id PK, name, owner (idx), priority, state (idx), spec (JSON bytes), submitted_at, finished_at?,
//	         first_task_id, task_count
//	tasks    id PK, job_id → jobs.id (ON DELETE CASCADE), idx, unique (job_id, idx),
//	         name, state (idx), attempt, failures, node_losses, node, exit_code?,
//	         error, dispatched_at?, started_at?, finished_at?
//	nodes    name PK, state, instance, facts (JSON bytes), registered_at, last_seen,
//	         locked_by, locked_at?, lock_reason, draining, source, state_since, handle
//	         (state_since is nullable for AutoMigrate, but never NULL)
//	users    name PK, role, password_hash, created_at, groups (JSON list)
//	sessions token_hash PK, user_name (idx), created_at, expires_at
//	node_sources     name PK, spec (JSON bytes), status, owner, created_at, policy_state (JSON bytes)
//	enroll_tokens    id PK, source (idx), token_hash (unique), one_time, expires_at?,
//	                 created_by, created_at, uses, description
//	node_credentials node PK, source, secret_hash, created_at
//	node_events seq PK (auto), time, node (idx), state, locked, draining, event, by_user, info
//	rm_samples  time PK, free, busy, down
//
// "?" marks a nullable column. Times are stored and returned in UTC. No
// table refers to node_sources: deleting a source leaves its nodes, tokens
// and credentials to the server.
//
// The schema is created and extended at open (migrate.go): gorm's
// AutoMigrate adds tables, columns and indexes, and a step in the same
// transaction fills the columns of older rows (a node stored before node
// sources belongs to the "default" source; a job stored before task_count
// has a row for each of its tasks).
package store
