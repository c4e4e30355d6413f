package store

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// TestUpsertColumns: Apply's column lists name exactly the gorm models'
// columns, and the conflict target is the primary key.
func TestUpsertColumns(t *testing.T) {
	s := openTestSQLite(t, SQLiteOptions{})
	for _, c := range []struct {
		table *upsertTable
		model any
	}{
		{nodesTable, &nodeModel{}}, {jobsTable, &jobModel{}}, {tasksTable, &taskModel{}},
		{usersTable, &userModel{}}, {sourcesTable, &sourceModel{}}, {tokensTable, &enrollTokenModel{}},
		{credentialsTable, &credentialModel{}}, {taskResultsTable, &taskResultModel{}},
	} {
		stmt := &gorm.Statement{DB: s.w}
		if err := stmt.Parse(c.model); err != nil {
			t.Fatalf("parse %T: %v", c.model, err)
		}
		if stmt.Schema.Table != c.table.name {
			t.Errorf("%T: table %q; want %q", c.model, stmt.Schema.Table, c.table.name)
		}
		want, got := slices.Sorted(slices.Values(stmt.Schema.DBNames)), slices.Sorted(slices.Values(c.table.columns))
		if !slices.Equal(got, want) {
			t.Errorf("%s: columns %v; the model has %v", c.table.name, got, want)
		}
		if pk := stmt.Schema.PrimaryFieldDBNames; len(pk) != 1 || pk[0] != c.table.key {
			t.Errorf("%s: key %q; the model's primary key is %v", c.table.name, c.table.key, pk)
		}
	}
}

// TestUpsertArgs: each args method appends one value per column.
func TestUpsertArgs(t *testing.T) {
	for _, c := range []struct {
		table *upsertTable
		args  []any
	}{
		{nodesTable, (&nodeModel{}).args(nil)},
		{jobsTable, (&jobModel{}).args(nil)},
		{tasksTable, (&taskModel{}).args(nil)},
		{usersTable, (&userModel{}).args(nil)},
		{sourcesTable, (&sourceModel{}).args(nil)},
		{tokensTable, (&enrollTokenModel{}).args(nil)},
		{credentialsTable, (&credentialModel{}).args(nil)},
	} {
		if len(c.args) != len(c.table.columns) {
			t.Errorf("%s: %d args for %d columns", c.table.name, len(c.args), len(c.table.columns))
		}
	}
}

func TestUpsertQuery(t *testing.T) {
	got := jobsTable.query(2, dollarN)
	want := "INSERT INTO jobs (id, name, owner, priority, state, spec, submitted_at, finished_at, first_task_id, task_count, parent) VALUES " +
		"($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11), ($12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) " +
		"ON CONFLICT (id) DO UPDATE SET name = excluded.name, owner = excluded.owner, priority = excluded.priority, " +
		"state = excluded.state, spec = excluded.spec, submitted_at = excluded.submitted_at, finished_at = excluded.finished_at, " +
		"first_task_id = excluded.first_task_id, task_count = excluded.task_count, parent = excluded.parent"
	if got != want {
		t.Errorf("jobs, 2 rows, $n:\n got %s\nwant %s", got, want)
	}
	if got := nodesTable.query(1, questionMark); got != "INSERT INTO nodes (name, state, instance, facts, registered_at, last_seen, "+
		"locked_by, locked_at, lock_reason, draining, source, state_since, handle) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "+
		"ON CONFLICT (name) DO UPDATE SET state = excluded.state, instance = excluded.instance, facts = excluded.facts, "+
		"registered_at = excluded.registered_at, last_seen = excluded.last_seen, locked_by = excluded.locked_by, "+
		"locked_at = excluded.locked_at, lock_reason = excluded.lock_reason, draining = excluded.draining, "+
		"source = excluded.source, state_since = excluded.state_since, handle = excluded.handle" {
		t.Errorf("nodes, 1 row, ?: %s", got)
	}
	if got, want := jobStateQuery(dollarN), "UPDATE jobs SET state = $1, finished_at = $2 WHERE id = $3"; got != want {
		t.Errorf("jobStateQuery = %s; want %s", got, want)
	}
}

// distinctChunks is the number of distinct chunk sizes: the bound on the
// upsert statements of one table.
func distinctChunks() int {
	sizes := map[int]bool{}
	for n := 1; n <= 4*upsertBatch; n++ {
		sizes[chunkSize(n)] = true
	}
	return len(sizes)
}

// TestApplyStatementCacheBounded: after many Applies of every size, the
// writer holds at most one statement per (table, chunk size) plus the job
// state update, and keeps reusing them.
func TestApplyStatementCacheBounded(t *testing.T) {
	s := openTestSQLite(t, SQLiteOptions{})
	ctx := context.Background()
	if got := distinctChunks(); got != 9 {
		t.Fatalf("distinct chunk sizes = %d; want 9", got)
	}
	bound := 3*distinctChunks() + 1
	now := time.Now()
	apply := func(nJobs, nTasks, nNodes, nStates int, round int) {
		t.Helper()
		var m Mutation
		for i := range nJobs {
			m.Jobs = append(m.Jobs, JobRecord{ID: int64(i + 1), Name: "j", Owner: "o", State: "RUNNING", SubmittedAt: now})
		}
		for i := range nTasks {
			m.Tasks = append(m.Tasks, TaskRecord{ID: int64(i + 1), JobID: 1, Index: i, Name: "t", State: "PENDING", Attempt: round})
		}
		for i := range nNodes {
			m.Nodes = append(m.Nodes, NodeRecord{Name: fmt.Sprintf("n%d", i), State: "FREE", RegisteredAt: now, LastSeen: now})
		}
		states := Mutation{}
		for i := range nStates {
			states.JobStates = append(states.JobStates, JobStateUpdate{ID: int64(i + 1), State: "RUNNING"})
		}
		if err := s.Apply(ctx, m, states); err != nil {
			t.Fatalf("Apply(%d jobs, %d tasks, %d nodes, %d states): %v", nJobs, nTasks, nNodes, nStates, err)
		}
	}
	apply(300, 0, 0, 0, 0) // jobs 1..300 exist, for tasks and state changes
	for round := range 3 {
		for n := 1; n <= 600; n += 1 + n/8 {
			apply(min(n, 300), n, n, 0, round)
			apply(0, n/2+1, 0, min(n, 300), round)
		}
	}
	if got := s.wr.cached(); got > bound {
		t.Fatalf("cached statements = %d; want at most %d", got, bound)
	}
	// The statements are prepared once and then reused.
	before := cacheSnapshot(s.wr)
	for n := 1; n <= 600; n += 7 {
		apply(min(n, 300), n, n%37+1, n%5, 9)
	}
	after := cacheSnapshot(s.wr)
	if len(after) != bound {
		t.Errorf("cached statements = %d; want exactly %d after Applies of every size", len(after), bound)
	}
	for k, st := range before {
		if after[k] != st {
			t.Errorf("statement %v was replaced", k)
		}
	}
	// Close closes them; a later Apply fails cleanly.
	if err := s.wr.close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if got := s.wr.cached(); got != 0 {
		t.Errorf("after close: %d statements cached", got)
	}
	if err := s.Apply(ctx, Mutation{Jobs: []JobRecord{{ID: 1, SubmittedAt: now}}}); err == nil {
		t.Errorf("Apply after the writer closed: no error")
	}
}

// cacheSnapshot copies the writer's cache.
func cacheSnapshot(w *sqlWriter) map[stmtKey]*sql.Stmt {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[stmtKey]*sql.Stmt, len(w.stmts))
	for k, v := range w.stmts {
		out[k] = v
	}
	return out
}

// TestApplyStoresAsGorm: Apply stores, byte for byte and type for type,
// what gorm's upsert and update stored before it (the read path still
// decodes with gorm).
func TestApplyStoresAsGorm(t *testing.T) {
	ctx := context.Background()
	zone := time.FixedZone("UTC+2", 2*3600)
	t0 := time.Date(2025, 3, 14, 15, 9, 26, 535897123, zone)
	tp := func(m int) *time.Time { v := t0.Add(time.Duration(m) * time.Minute); return &v }
	ip := func(v int) *int { return &v }
	jobs := []JobRecord{
		{ID: 1, Name: "full", Owner: "alice", Priority: 5, State: "FAILED", Spec: []byte{0, 1, 0xff, '{'}, SubmittedAt: t0, FinishedAt: tp(3)},
		{ID: 2, Name: "bare", Owner: "bob", State: "PENDING", SubmittedAt: *tp(1)},
		{ID: 3, Name: "empty spec", Owner: "", Priority: -1, State: "RUNNING", Spec: []byte{}, SubmittedAt: time.Time{}},
		{ID: 4, Name: "state", Owner: "o", State: "RUNNING", SubmittedAt: t0},
	}
	tasks := []TaskRecord{
		{ID: 10, JobID: 1, Index: 0, Name: "full", State: "FAILED", Attempt: 3, Failures: 2, NodeLosses: 1, Node: "n1",
			ExitCode: ip(137), Error: "killed", DispatchedAt: tp(10), StartedAt: tp(11), FinishedAt: tp(12)},
		{ID: 11, JobID: 1, Index: 1, Name: "bare", State: "PENDING"},
		{ID: 12, JobID: 2, Index: 0, Name: "zero exit", State: "FINISHED", ExitCode: ip(0), FinishedAt: tp(5)},
	}
	nodes := []NodeRecord{
		{Name: "a", State: "FREE", Instance: "i-a", Facts: []byte(`{"cpus":8}`), RegisteredAt: t0, LastSeen: *tp(1),
			Source: "pool", StateSince: *tp(2), Handle: "4242"},
		{Name: "b", State: "DOWN", RegisteredAt: t0, LastSeen: t0},
	}
	states := []JobStateUpdate{{ID: 4, State: "FINISHED", FinishedAt: tp(9)}, {ID: 2, State: "KILLED"}}
	users := []UserRecord{
		{Name: "alice", Role: "admin", PasswordHash: "h", CreatedAt: t0, Groups: []string{"ops", "dev"}},
		{Name: "bob", Role: "user", CreatedAt: t0},
	}
	sources := []SourceRecord{
		{Name: "pool", Spec: []byte{0, '{', 0xff}, Status: "ACTIVE", Owner: "alice", CreatedAt: t0, PolicyState: []byte(`{}`)},
		{Name: "bare", CreatedAt: t0},
	}
	tokens := []EnrollTokenRecord{
		{ID: "t1", Source: "pool", TokenHash: "h1", OneTime: true, ExpiresAt: tp(60), CreatedBy: "alice", CreatedAt: t0,
			Uses: 2, Description: "rack 4"},
		{ID: "t2", Source: "pool", TokenHash: "h2", CreatedAt: t0},
	}
	creds := []CredentialRecord{{Node: "a", Source: "pool", SecretHash: "s", CreatedAt: t0}}

	viaApply := openTestSQLite(t, SQLiteOptions{})
	if err := viaApply.Apply(ctx, Mutation{Jobs: jobs, Tasks: tasks, Nodes: nodes, Users: users,
		Sources: sources, EnrollTokens: tokens, Credentials: creds}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if err := viaApply.Apply(ctx, Mutation{JobStates: states}); err != nil {
		t.Fatalf("Apply(states): %v", err)
	}

	// The gorm write path as it was.
	viaGorm := openTestSQLite(t, SQLiteOptions{})
	upsert := func(rows any) {
		t.Helper()
		if err := viaGorm.w.Omit(clause.Associations).Clauses(clause.OnConflict{UpdateAll: true}).Create(rows).Error; err != nil {
			t.Fatalf("gorm upsert: %v", err)
		}
	}
	var jm []jobModel
	for _, j := range jobs {
		jm = append(jm, jobToModel(j))
	}
	var tm []taskModel
	for _, tk := range tasks {
		tm = append(tm, taskToModel(tk))
	}
	var nm []nodeModel
	for _, n := range nodes {
		nm = append(nm, nodeToModel(n))
	}
	upsert(nm)
	upsert(jm)
	upsert(tm)
	upsert(convert(users, userToModel))
	upsert(convert(sources, sourceToModel))
	upsert(convert(tokens, enrollTokenToModel))
	upsert(convert(creds, credentialToModel))
	for _, u := range states {
		err := viaGorm.w.Model(&jobModel{}).Where("id = ?", u.ID).
			Updates(map[string]any{"state": u.State, "finished_at": utcPtr(u.FinishedAt)}).Error
		if err != nil {
			t.Fatalf("gorm update: %v", err)
		}
	}

	for _, tbl := range []*upsertTable{nodesTable, jobsTable, tasksTable, usersTable, sourcesTable, tokensTable, credentialsTable} {
		got, want := rawRows(t, viaApply.wdb, tbl), rawRows(t, viaGorm.wdb, tbl)
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s as stored:\n Apply %q\n  gorm %q", tbl.name, got, want)
		}
	}
}

// convert maps records to models.
func convert[R, M any](rs []R, f func(R) M) []M {
	out := make([]M, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// rawRows reads every column of t as SQLite's quote() renders it, which
// shows the storage class (text, blob, integer, NULL) as well as the value.
func rawRows(t *testing.T, db *sql.DB, tbl *upsertTable) []string {
	t.Helper()
	cols := make([]string, len(tbl.columns))
	for i, c := range tbl.columns {
		cols[i] = "quote(" + c + ")"
	}
	rows, err := db.QueryContext(context.Background(),
		"SELECT "+strings.Join(cols, " || ', ' || ")+" FROM "+tbl.name+" ORDER BY "+tbl.key)
	if err != nil {
		t.Fatalf("select %s: %v", tbl.name, err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var r string
		if err = rows.Scan(&r); err != nil {
			t.Fatalf("scan %s: %v", tbl.name, err)
		}
		out = append(out, r)
	}
	if err = rows.Err(); err != nil {
		t.Fatalf("rows %s: %v", tbl.name, err)
	}
	return out
}

// TestApplyConcurrentColdCache: Applies that need statements not yet
// prepared run beside transactions holding the writer's only connection, and
// neither waits on the other for ever.
func TestApplyConcurrentColdCache(t *testing.T) {
	s := openTestSQLite(t, SQLiteOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Apply(ctx, Mutation{Jobs: []JobRecord{{ID: 1, Name: "j", Owner: "o", State: "RUNNING", SubmittedAt: time.Now()}}}); err != nil {
		t.Fatalf("Apply(job): %v", err)
	}
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 8 {
				n := 1 + (g*8+i)*5
				var m Mutation
				for k := range n {
					id := int64(g*1000 + k + 1)
					m.Tasks = append(m.Tasks, TaskRecord{ID: id, JobID: 1, Index: int(id), Name: "t", State: "PENDING"})
				}
				errs <- s.Apply(ctx, m)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Apply: %v", err)
		}
	}
	if got, bound := s.wr.cached(), distinctChunks()+1; got > bound {
		t.Errorf("cached statements = %d; want at most %d", got, bound)
	}
}
