package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/driver/sqlite"

	"github.com/shrike-grid/shrike/store"
)

// oldSchema is the nodes and users tables as the release before node
// sources created them (gorm's DDL, verbatim).
var oldSchema = []string{
	"CREATE TABLE `nodes` (`name` text,`state` text NOT NULL,`instance` text NOT NULL,`facts` blob," +
		"`registered_at` datetime NOT NULL,`last_seen` datetime NOT NULL,`locked_by` text NOT NULL DEFAULT \"\"," +
		"`locked_at` datetime,`lock_reason` text NOT NULL DEFAULT \"\",`draining` numeric NOT NULL DEFAULT false," +
		"PRIMARY KEY (`name`))",
	"CREATE TABLE `users` (`name` text,`role` text NOT NULL,`password_hash` text NOT NULL," +
		"`created_at` datetime NOT NULL,PRIMARY KEY (`name`))",
}

// createOldDB writes a database with the old schema and one node and one
// user in it.
func createOldDB(t *testing.T, path string, registered, lastSeen time.Time) {
	t.Helper()
	db, err := sql.Open(sqlite.DriverName, path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer func() { _ = db.Close() }()
	ctx := context.Background()
	for _, q := range oldSchema {
		if _, err = db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_, err = db.ExecContext(ctx, "INSERT INTO nodes (name, state, instance, facts, registered_at, last_seen, locked_by, "+
		"locked_at, lock_reason, draining) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		"n1", "FREE", "i-1", []byte(`{"cpus":4}`), registered, lastSeen, "admin", nil, "disk", true)
	if err != nil {
		t.Fatalf("insert node: %v", err)
	}
	_, err = db.ExecContext(ctx, "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
		"alice", "admin", "$argon2id$alice", registered)
	if err != nil {
		t.Fatalf("insert user: %v", err)
	}
}

// TestMigrateFromOldSchema: a database of the release before node sources
// opens; its node belongs to the "default" source, is in its state since it
// was last seen and has no handle; its user has no groups; and the new
// tables and columns work.
func TestMigrateFromOldSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	registered := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	lastSeen := registered.Add(time.Hour)
	createOldDB(t, path, registered, lastSeen)

	s, err := store.OpenSQLite(path, store.SQLiteOptions{})
	if err != nil {
		t.Fatalf("OpenSQLite(old schema): %v", err)
	}
	nodes, err := s.ListNodes(ctx)
	if err != nil {
		t.Fatalf("ListNodes: %v", err)
	}
	want := store.NodeRecord{Name: "n1", State: "FREE", Instance: "i-1", Facts: []byte(`{"cpus":4}`),
		RegisteredAt: registered, LastSeen: lastSeen, LockedBy: "admin", LockReason: "disk", Draining: true,
		Source: "default", StateSince: lastSeen}
	if len(nodes) != 1 || !reflect.DeepEqual(nodes[0], want) {
		t.Errorf("old node = %+v; want %+v", nodes, want)
	}
	u, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatalf("GetUser(alice): %v", err)
	}
	if u.Role != "admin" || u.PasswordHash != "$argon2id$alice" || len(u.Groups) != 0 {
		t.Errorf("old user = %+v; want admin, its hash, no groups", u)
	}

	// New rows: a node with an empty source must stay so across a reopen
	// (the backfill is for the rows older than the column, once).
	u.Groups = []string{"ops"}
	n2 := store.NodeRecord{Name: "n2", State: "DOWN", RegisteredAt: registered, LastSeen: registered, StateSince: lastSeen}
	src := store.SourceRecord{Name: "pool", Status: "ACTIVE", CreatedAt: registered}
	if err = s.Apply(ctx, store.Mutation{Users: []store.UserRecord{u}, Nodes: []store.NodeRecord{n2}, Sources: []store.SourceRecord{src}}); err != nil {
		t.Fatalf("Apply after migration: %v", err)
	}
	if err = s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r, err := store.OpenSQLite(path, store.SQLiteOptions{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer func() { _ = r.Close() }()
	nodes, err = r.ListNodes(ctx)
	if err != nil {
		t.Fatalf("ListNodes after reopen: %v", err)
	}
	if len(nodes) != 2 || !reflect.DeepEqual(nodes[1], n2) || nodes[0].Source != "default" {
		t.Errorf("nodes after reopen = %+v; want n1 (default) and %+v", nodes, n2)
	}
	if got, gerr := r.GetUser(ctx, "alice"); gerr != nil || !reflect.DeepEqual(got.Groups, []string{"ops"}) {
		t.Errorf("alice after reopen = %+v, %v; want groups [ops]", got, gerr)
	}
	if got, lerr := r.ListSources(ctx); lerr != nil || len(got) != 1 || got[0].Name != "pool" {
		t.Errorf("sources after reopen = %+v, %v; want pool", got, lerr)
	}
}

// TestMigratedSchemaMatchesNew: the migrated nodes and users tables have
// the columns, types, nullability and defaults of freshly created ones.
func TestMigratedSchemaMatchesNew(t *testing.T) {
	dir := t.TempDir()
	oldPath, newPath := filepath.Join(dir, "old.db"), filepath.Join(dir, "new.db")
	createOldDB(t, oldPath, time.Unix(0, 0).UTC(), time.Unix(60, 0).UTC())
	for _, p := range []string{oldPath, newPath} {
		s, err := store.OpenSQLite(p, store.SQLiteOptions{})
		if err != nil {
			t.Fatalf("OpenSQLite(%s): %v", p, err)
		}
		if err = s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	for _, table := range []string{"nodes", "users"} {
		got, want := columns(t, oldPath, table), columns(t, newPath, table)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s migrated:\n%s\nnew:\n%s", table, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// columns describes table's columns (name, type, not null, default, key),
// sorted by name (added columns come last in a migrated table).
func columns(t *testing.T, path, table string) []string {
	t.Helper()
	db, err := sql.Open(sqlite.DriverName, path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer func() { _ = db.Close() }()
	rows, err := db.QueryContext(context.Background(),
		"SELECT name, type, \"notnull\", COALESCE(dflt_value, 'NULL'), pk FROM pragma_table_info(?) ORDER BY name", table)
	if err != nil {
		t.Fatalf("table_info(%s): %v", table, err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var name, typ, dflt string
		var notNull, pk int
		if err = rows.Scan(&name, &typ, &notNull, &dflt, &pk); err != nil {
			t.Fatalf("scan: %v", err)
		}
		out = append(out, fmt.Sprintf("%s %s notnull=%d default=%s pk=%d", name, typ, notNull, dflt, pk))
	}
	if err = rows.Err(); err != nil {
		t.Fatalf("rows: %v", err)
	}
	return out
}

// TestMigrateJobTaskRange: jobs stored before jobs.first_task_id and
// jobs.task_count get their lowest task ID and their number of task rows,
// so that a job written before arrays reads the same, and MaxIDs and
// TaskCounts see what they saw.
func TestMigrateJobTaskRange(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jobs.db")
	s, err := store.OpenSQLite(path, store.SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	err = s.Apply(ctx, store.Mutation{
		Jobs: []store.JobRecord{{ID: 1, Name: "old", Owner: "a", State: "RUNNING", SubmittedAt: at},
			{ID: 2, Name: "empty", Owner: "a", State: "PENDING", SubmittedAt: at}},
		Tasks: []store.TaskRecord{{ID: 7, JobID: 1, Index: 0, Name: "x", State: "FINISHED"},
			{ID: 8, JobID: 1, Index: 1, Name: "y", State: "PENDING"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The schema of the release before: no task range on jobs.
	db, err := sql.Open(sqlite.DriverName, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"ALTER TABLE jobs DROP COLUMN first_task_id", "ALTER TABLE jobs DROP COLUMN task_count"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	_ = db.Close()

	s, err = store.OpenSQLite(path, store.SQLiteOptions{})
	if err != nil {
		t.Fatalf("OpenSQLite(old jobs table): %v", err)
	}
	defer s.Close()
	for _, c := range []struct {
		id           int64
		first, count int64
	}{{1, 7, 2}, {2, 0, 0}} {
		rec, _, err := s.GetJob(ctx, c.id)
		if err != nil || rec.FirstTaskID != c.first || int64(rec.TaskCount) != c.count {
			t.Errorf("job %d: first task %d, %d tasks, %v; want %d, %d", c.id, rec.FirstTaskID, rec.TaskCount, err, c.first, c.count)
		}
	}
	counts, err := s.TaskCounts(ctx, []int64{1})
	if err != nil || counts[1]["FINISHED"] != 1 || counts[1]["PENDING"] != 1 {
		t.Errorf("TaskCounts = %v, %v; want 1 FINISHED and 1 PENDING", counts, err)
	}
	if _, taskID, err := s.MaxIDs(ctx); err != nil || taskID != 8 {
		t.Errorf("MaxIDs task = %d, %v; want 8", taskID, err)
	}
}

// TestMigrateJobsParent: a jobs table from before sub-jobs gets the parent
// column; its rows have no parent, and new rows keep theirs.
func TestMigrateJobsParent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open(sqlite.DriverName, path)
	if err != nil {
		t.Fatal(err)
	}
	submitted := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, q := range []string{
		"CREATE TABLE `jobs` (`id` integer,`name` text NOT NULL,`owner` text NOT NULL,`priority` integer NOT NULL," +
			"`state` text NOT NULL,`spec` blob,`submitted_at` datetime NOT NULL,`finished_at` datetime,PRIMARY KEY (`id`))",
		"CREATE INDEX `idx_jobs_owner` ON `jobs`(`owner`)",
		"CREATE INDEX `idx_jobs_state` ON `jobs`(`state`)",
	} {
		if _, err = db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err = db.ExecContext(ctx, "INSERT INTO jobs (id, name, owner, priority, state, spec, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		1, "old", "alice", 3, "RUNNING", []byte(`{}`), submitted); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	s, err := store.OpenSQLite(path, store.SQLiteOptions{})
	if err != nil {
		t.Fatalf("OpenSQLite(old jobs): %v", err)
	}
	defer func() { _ = s.Close() }()
	old, _, err := s.GetJob(ctx, 1)
	if err != nil || old.Parent != 0 || old.Name != "old" {
		t.Fatalf("old job = %+v, %v; want it with no parent", old, err)
	}
	child := store.JobRecord{ID: 2, Name: "child", Owner: "alice", Priority: 3, State: "PENDING", Spec: []byte(`{}`), SubmittedAt: submitted, Parent: 1}
	if err = s.Apply(ctx, store.Mutation{Jobs: []store.JobRecord{child}}); err != nil {
		t.Fatalf("Apply after migration: %v", err)
	}
	parents, err := s.JobParents(ctx)
	if err != nil || len(parents) != 1 || parents[2] != 1 {
		t.Errorf("JobParents = %v, %v; want 2 → 1", parents, err)
	}
}
