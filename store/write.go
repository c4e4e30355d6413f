package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Apply's writes bypass gorm: they run on the writer pool in plain
// database/sql, with statements prepared once on the pool (not on a
// transaction) and reused by every transaction. gorm prepares a statement on
// the transaction that first runs it, so each later transaction prepared it
// again; on the server under load that was about a tenth of the CPU, and
// gorm's reflection over the models another large share.
//
// The SQL is portable (multi-row INSERT … ON CONFLICT (key) DO UPDATE SET
// c = excluded.c, and a plain UPDATE); the one thing a back end chooses is
// how bind parameters are written (bindVar).

// bindVar renders the n-th (1-based) bind parameter of a statement.
type bindVar func(n int) string

// questionMark is SQLite's bindVar: every parameter is "?".
func questionMark(int) string { return "?" }

// dollarN is PostgreSQL's bindVar: "$1", "$2", ….
func dollarN(n int) string { return "$" + strconv.Itoa(n) }

// upsertTable is how Apply writes whole rows of one table. columns lists the
// table's columns in the order its rows' args method appends their values
// (TestUpsertColumns checks them against the gorm models); key is the
// primary key, the conflict target, and every other column is overwritten.
type upsertTable struct {
	name    string
	key     string
	columns []string
	head    string // "INSERT INTO t (c1, c2, …) VALUES "
	tail    string // " ON CONFLICT (key) DO UPDATE SET c2 = excluded.c2, …"
}

func newUpsertTable(name, key string, columns ...string) *upsertTable {
	t := &upsertTable{name: name, key: key, columns: columns}
	t.head = "INSERT INTO " + name + " (" + strings.Join(columns, ", ") + ") VALUES "
	sets := make([]string, 0, len(columns)-1)
	for _, c := range columns {
		if c != key {
			sets = append(sets, c+" = excluded."+c)
		}
	}
	t.tail = " ON CONFLICT (" + key + ") DO UPDATE SET " + strings.Join(sets, ", ")
	return t
}

// query renders the statement that upserts n rows.
func (t *upsertTable) query(n int, bind bindVar) string {
	var b strings.Builder
	b.Grow(len(t.head) + len(t.tail) + n*len(t.columns)*6)
	b.WriteString(t.head)
	p := 0
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range t.columns {
			if j > 0 {
				b.WriteString(", ")
			}
			p++
			b.WriteString(bind(p))
		}
		b.WriteByte(')')
	}
	b.WriteString(t.tail)
	return b.String()
}

var (
	nodesTable = newUpsertTable("nodes", "name",
		"name", "state", "instance", "facts", "registered_at", "last_seen",
		"locked_by", "locked_at", "lock_reason", "draining", "source", "state_since", "handle")
	jobsTable = newUpsertTable("jobs", "id",
		"id", "name", "owner", "priority", "state", "spec", "submitted_at", "finished_at",
		"first_task_id", "task_count", "parent")
	tasksTable = newUpsertTable("tasks", "id",
		"id", "job_id", "idx", "name", "state", "attempt", "failures", "node_losses", "node",
		"exit_code", "error", "dispatched_at", "started_at", "finished_at", "others",
		"retry_at", "avoid")
	usersTable = newUpsertTable("users", "name",
		"name", "role", "password_hash", "created_at", "groups")
	sourcesTable = newUpsertTable("node_sources", "name",
		"name", "spec", "status", "owner", "created_at", "policy_state")
	tokensTable = newUpsertTable("enroll_tokens", "id",
		"id", "source", "token_hash", "one_time", "expires_at", "created_by", "created_at", "uses", "description")
	credentialsTable = newUpsertTable("node_credentials", "node",
		"node", "source", "secret_hash", "created_at")
)

// The args methods append a row's values in the order of its table's
// columns, as driver values (int64, string, []byte, time.Time or nil), so
// that database/sql passes them on without reflection. Times are already UTC
// (the *ToModel functions); nil []byte is NULL, as gorm wrote it.

func (m *nodeModel) args(dst []any) []any {
	return append(dst, m.Name, m.State, m.Instance, m.Facts, m.RegisteredAt, m.LastSeen,
		m.LockedBy, timeArg(m.LockedAt), m.LockReason, m.Draining, m.Source, m.StateSince, m.Handle)
}

func (m *jobModel) args(dst []any) []any {
	return append(dst, m.ID, m.Name, m.Owner, int64(m.Priority), m.State, m.Spec, m.SubmittedAt, timeArg(m.FinishedAt),
		m.FirstTaskID, int64(m.TaskCount), m.Parent)
}

func (m *taskModel) args(dst []any) []any {
	return append(dst, m.ID, m.JobID, int64(m.Index), m.Name, m.State,
		int64(m.Attempt), int64(m.Failures), int64(m.NodeLosses), m.Node,
		intArg(m.ExitCode), m.Error, timeArg(m.DispatchedAt), timeArg(m.StartedAt), timeArg(m.FinishedAt), m.Others,
		timeArg(m.RetryAt), m.Avoid)
}

func (m *userModel) args(dst []any) []any {
	return append(dst, m.Name, m.Role, m.PasswordHash, m.CreatedAt, m.Groups)
}

func (m *sourceModel) args(dst []any) []any {
	return append(dst, m.Name, m.Spec, m.Status, m.Owner, m.CreatedAt, m.PolicyState)
}

func (m *enrollTokenModel) args(dst []any) []any {
	return append(dst, m.ID, m.Source, m.TokenHash, m.OneTime, timeArg(m.ExpiresAt), m.CreatedBy, m.CreatedAt,
		int64(m.Uses), m.Description)
}

func (m *credentialModel) args(dst []any) []any {
	return append(dst, m.Node, m.Source, m.SecretHash, m.CreatedAt)
}

// timeArg is a nullable time as a driver value: nil (untyped, NULL) or the time.
func timeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// intArg is a nullable int as a driver value.
func intArg(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// jobStateQuery renders the update of one job's state.
func jobStateQuery(bind bindVar) string {
	return "UPDATE jobs SET state = " + bind(1) + ", finished_at = " + bind(2) + " WHERE id = " + bind(3)
}

// jobStateKey is the statement cache's key of jobStateQuery.
const jobStateKey = "jobs/state"

// stmtKey names a cached statement: an upsert of rows rows into table, or
// jobStateKey (rows 1).
type stmtKey struct {
	table string
	rows  int
}

// errWriterClosed is returned by Apply after Close.
var errWriterClosed = errors.New("store is closed")

// sqlWriter runs Apply's transactions on the writer pool db, with the
// statements prepared on db and cached by (table, row count). Chunking
// (chunkSize) bounds the cache: at most 9 upserts per table and the job
// state update.
//
// The SQLite writer pool has a single connection, which a transaction holds
// until it ends, and preparing on the pool needs a connection; so Apply
// finds or prepares every statement it needs before it begins, and never
// prepares, nor takes mu, inside the transaction.
type sqlWriter struct {
	db   *sql.DB
	bind bindVar

	mu     sync.Mutex
	stmts  map[stmtKey]*sql.Stmt
	closed bool
}

// newSQLWriter returns the writer over w's pool.
func newSQLWriter(w *gorm.DB, bind bindVar) (*sqlWriter, error) {
	db, err := w.DB()
	if err != nil {
		return nil, err
	}
	return &sqlWriter{db: db, bind: bind, stmts: make(map[stmtKey]*sql.Stmt)}, nil
}

// stmt returns the statement named key, preparing it from query on first use.
func (w *sqlWriter) stmt(ctx context.Context, key stmtKey, query func() string) (*sql.Stmt, error) {
	w.mu.Lock()
	st, closed := w.stmts[key], w.closed
	w.mu.Unlock()
	if st != nil {
		return st, nil
	}
	if closed {
		return nil, errWriterClosed
	}
	// Prepare without mu: it may wait for the connection.
	st, err := w.db.PrepareContext(ctx, query())
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		_ = st.Close()
		return nil, errWriterClosed
	}
	if prev := w.stmts[key]; prev != nil { // a concurrent Apply was first
		_ = st.Close()
		return prev, nil
	}
	w.stmts[key] = st
	return st, nil
}

// upserts returns the statements that write n rows into t, one per chunk.
func (w *sqlWriter) upserts(ctx context.Context, t *upsertTable, n int) ([]*sql.Stmt, error) {
	var out []*sql.Stmt
	for n > 0 {
		k := chunkSize(n)
		st, err := w.stmt(ctx, stmtKey{t.name, k}, func() string { return t.query(k, w.bind) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
		out = append(out, st)
		n -= k
	}
	return out, nil
}

// cached returns how many statements are cached.
func (w *sqlWriter) cached() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.stmts)
}

// close closes the cached statements; later Applies fail.
func (w *sqlWriter) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	var errs []error
	for _, st := range w.stmts {
		errs = append(errs, st.Close())
	}
	clear(w.stmts)
	return errors.Join(errs...)
}

// writePlan is the statements of one Apply: per table one per chunk, and the
// job state update if there are state changes.
type writePlan struct {
	nodes, jobs, tasks                  []*sql.Stmt
	state                               *sql.Stmt
	users, sources, tokens, credentials []*sql.Stmt
	res                                 resultsPlan
}

func (w *sqlWriter) plan(ctx context.Context, m *merged) (p writePlan, err error) {
	if p.nodes, err = w.upserts(ctx, nodesTable, len(m.nodes.rows)); err != nil {
		return p, err
	}
	if p.jobs, err = w.upserts(ctx, jobsTable, len(m.jobs)); err != nil {
		return p, err
	}
	if m.liveState > 0 {
		p.state, err = w.stmt(ctx, stmtKey{jobStateKey, 1}, func() string { return jobStateQuery(w.bind) })
		if err != nil {
			return p, fmt.Errorf("job states: %w", err)
		}
	}
	if p.tasks, err = w.upserts(ctx, tasksTable, len(m.tasks)); err != nil {
		return p, err
	}
	if p.users, err = w.upserts(ctx, usersTable, len(m.users)); err != nil {
		return p, err
	}
	if p.sources, err = w.upserts(ctx, sourcesTable, len(m.sources.rows)); err != nil {
		return p, err
	}
	if p.tokens, err = w.upserts(ctx, tokensTable, len(m.tokens.rows)); err != nil {
		return p, err
	}
	if p.credentials, err = w.upserts(ctx, credentialsTable, len(m.creds.rows)); err != nil {
		return p, err
	}
	if p.res, err = w.planResults(ctx, &m.res); err != nil {
		return p, err
	}
	return p, nil
}

// apply writes m in one transaction. The transaction begins as the pool's
// DSN says (IMMEDIATE for SQLite's writer).
func (w *sqlWriter) apply(ctx context.Context, m *merged) error {
	p, err := w.plan(ctx, m)
	if err != nil {
		return err
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	t := txWriter{tx: tx, bind: w.bind}
	if err = t.write(ctx, m, &p); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// txWriter executes a plan in tx.
type txWriter struct {
	tx    *sql.Tx
	bind  bindVar
	stmts map[*sql.Stmt]*sql.Stmt // pool statement → its use in tx
	args  []any                   // reused for every statement
}

// stmt returns st for use in the transaction. database/sql finds st already
// prepared on the transaction's connection, after its first use there.
func (t *txWriter) stmt(ctx context.Context, st *sql.Stmt) *sql.Stmt {
	if ts := t.stmts[st]; ts != nil {
		return ts
	}
	if t.stmts == nil {
		t.stmts = make(map[*sql.Stmt]*sql.Stmt)
	}
	ts := t.tx.StmtContext(ctx, st)
	t.stmts[st] = ts
	return ts
}

// write issues the merged rows in the order merged documents.
func (t *txWriter) write(ctx context.Context, m *merged, p *writePlan) error {
	if err := upsertRows(ctx, t, p.nodes, m.nodes.rows, (*nodeModel).args); err != nil {
		return fmt.Errorf("nodes: %w", err)
	}
	if err := upsertRows(ctx, t, p.jobs, m.jobs, (*jobModel).args); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	for _, u := range m.states {
		if u.superseded {
			continue
		}
		res, err := t.stmt(ctx, p.state).ExecContext(ctx, u.State, timeArg(u.FinishedAt), u.ID)
		var n int64
		if err == nil {
			n, err = res.RowsAffected()
		}
		if err != nil {
			return fmt.Errorf("job %d state: %w", u.ID, err)
		}
		if n == 0 {
			return fmt.Errorf("job %d state: %w", u.ID, ErrNotFound)
		}
	}
	if err := upsertRows(ctx, t, p.tasks, m.tasks, (*taskModel).args); err != nil {
		return fmt.Errorf("tasks: %w", err)
	}
	if err := t.writeResults(ctx, &m.res, &p.res); err != nil {
		return err
	}
	if err := t.writeRM(ctx, m); err != nil {
		return err
	}
	return t.writeSources(ctx, m, p)
}

// writeRM writes the resource manager's rows: node deletions, history
// events and node-count samples. They are few (a node changes state rarely,
// a sample is taken a minute), so plain statements on the transaction's own
// connection serve.
func (t *txWriter) writeRM(ctx context.Context, m *merged) error {
	if err := deleteRows(ctx, t, nodesTable, m.nodes.deletes); err != nil {
		return err
	}
	for _, e := range m.events {
		_, err := t.tx.ExecContext(ctx, "INSERT INTO node_events (time, node, state, locked, draining, event, by_user, info) VALUES ("+
			t.binds(8)+")", utc(e.Time), e.Node, e.State, e.Locked, e.Draining, e.Event, e.By, e.Info)
		if err != nil {
			return fmt.Errorf("node event: %w", err)
		}
	}
	var newest time.Time
	for _, s := range m.samples {
		_, err := t.tx.ExecContext(ctx, "INSERT INTO rm_samples (time, free, busy, down) VALUES ("+t.binds(4)+
			") ON CONFLICT (time) DO UPDATE SET free = excluded.free, busy = excluded.busy, down = excluded.down",
			utc(s.Time), int64(s.Free), int64(s.Busy), int64(s.Down))
		if err != nil {
			return fmt.Errorf("rm sample: %w", err)
		}
		if s.Time.After(newest) {
			newest = s.Time
		}
	}
	if !newest.IsZero() {
		if _, err := t.tx.ExecContext(ctx, "DELETE FROM rm_samples WHERE time < "+t.bind(1), utc(newest.Add(-SampleRetention))); err != nil {
			return fmt.Errorf("rm samples retention: %w", err)
		}
	}
	return nil
}

// writeSources writes users, node sources, enrollment tokens and node
// credentials: the upserts with the plan's statements, then the deletions.
func (t *txWriter) writeSources(ctx context.Context, m *merged, p *writePlan) error {
	if err := upsertRows(ctx, t, p.users, m.users, (*userModel).args); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	if err := upsertRows(ctx, t, p.sources, m.sources.rows, (*sourceModel).args); err != nil {
		return fmt.Errorf("node sources: %w", err)
	}
	if err := upsertRows(ctx, t, p.tokens, m.tokens.rows, (*enrollTokenModel).args); err != nil {
		return fmt.Errorf("enroll tokens: %w", err)
	}
	if err := upsertRows(ctx, t, p.credentials, m.creds.rows, (*credentialModel).args); err != nil {
		return fmt.Errorf("node credentials: %w", err)
	}
	if err := deleteRows(ctx, t, sourcesTable, m.sources.deletes); err != nil {
		return err
	}
	if err := deleteRows(ctx, t, tokensTable, m.tokens.deletes); err != nil {
		return err
	}
	return deleteRows(ctx, t, credentialsTable, m.creds.deletes)
}

// deleteRows deletes the rows of tbl with those keys; a key with no row is
// not an error. Deletions are few (a node leaves, a token is spent, a
// task with a result runs again), so a plain statement on the
// transaction's own connection serves.
func deleteRows[K comparable](ctx context.Context, t *txWriter, tbl *upsertTable, keys []K) error {
	for _, k := range keys {
		if _, err := t.tx.ExecContext(ctx, "DELETE FROM "+tbl.name+" WHERE "+tbl.key+" = "+t.bind(1), k); err != nil {
			return fmt.Errorf("delete from %s %v: %w", tbl.name, k, err)
		}
	}
	return nil
}

// binds renders n placeholders separated by commas.
func (t *txWriter) binds(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = t.bind(i + 1)
	}
	return strings.Join(parts, ", ")
}

// upsertRows writes rows with stmts, one statement per chunk (the chunks of
// sqlWriter.upserts).
func upsertRows[T any](ctx context.Context, t *txWriter, stmts []*sql.Stmt, rows []T, args func(*T, []any) []any) error {
	for _, st := range stmts {
		n := chunkSize(len(rows))
		t.args = t.args[:0]
		for i := range rows[:n] {
			t.args = args(&rows[i], t.args)
		}
		if _, err := t.stmt(ctx, st).ExecContext(ctx, t.args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	if len(rows) != 0 {
		return fmt.Errorf("%d rows left without a statement", len(rows)) // unreachable: plan and rows disagree
	}
	return nil
}
