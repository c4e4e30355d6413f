package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openTestSQLite opens a store in a temporary directory, closed at the end
// of the test.
func openTestSQLite(t testing.TB, opts SQLiteOptions) *SQLite {
	t.Helper()
	s, err := OpenSQLite(filepath.Join(t.TempDir(), "shrike.db"), opts)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() {
		if cerr := s.Close(); cerr != nil {
			t.Errorf("Close: %v", cerr)
		}
	})
	return s
}

// pragma reads one pragma on a connection of db.
func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestSQLitePragmas(t *testing.T) {
	for _, c := range []struct{ option, want string }{{"", "2"}, {"FULL", "2"}, {"normal", "1"}} {
		t.Run("synchronous="+c.option, func(t *testing.T) {
			s := openTestSQLite(t, SQLiteOptions{Synchronous: c.option})
			for pool, db := range map[string]*sql.DB{"writer": s.wdb, "reader": s.rdb} {
				want := map[string]string{
					"journal_mode": "wal", "synchronous": c.want, "busy_timeout": "5000", "foreign_keys": "1",
				}
				for name, v := range want {
					if got := pragma(t, db, name); got != v {
						t.Errorf("%s: PRAGMA %s = %s; want %s", pool, name, got, v)
					}
				}
			}
			if got := pragma(t, s.rdb, "query_only"); got != "1" {
				t.Errorf("reader: PRAGMA query_only = %s; want 1", got)
			}
			if got := s.wdb.Stats().MaxOpenConnections; got != 1 {
				t.Errorf("writer pool: MaxOpenConnections = %d; want 1", got)
			}
		})
	}
}

func TestOpenSQLiteRejects(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		path string
		opts SQLiteOptions
	}{
		{"bad synchronous", filepath.Join(dir, "a.db"), SQLiteOptions{Synchronous: "OFF"}},
		{"empty path", "", SQLiteOptions{}},
		{"memory", ":memory:", SQLiteOptions{}},
		{"URI", "file:" + filepath.Join(dir, "b.db"), SQLiteOptions{}},
		{"query in path", filepath.Join(dir, "c.db?mode=ro"), SQLiteOptions{}},
		{"missing directory", filepath.Join(dir, "missing", "d.db"), SQLiteOptions{}},
	} {
		if s, err := OpenSQLite(c.path, c.opts); err == nil {
			_ = s.Close()
			t.Errorf("%s: OpenSQLite(%q, %+v) succeeded; want an error", c.name, c.path, c.opts)
		}
	}
}

// TestSQLiteCloseCheckpoints: after Close the WAL is folded into the
// database file, and a second Close is harmless.
func TestSQLiteCloseCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shrike.db")
	s, err := OpenSQLite(path, SQLiteOptions{})
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	if s.Path() != path {
		t.Errorf("Path() = %q; want %q", s.Path(), path)
	}
	m := Mutation{Jobs: []JobRecord{{ID: 1, Name: "j", Owner: "o", State: "PENDING", SubmittedAt: time.Unix(0, 0)}}}
	if err = s.Apply(context.Background(), m); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil || fi.Size() == 0 {
		t.Fatalf("before Close: WAL = %v, %v; want a non-empty file", fi, err)
	}
	if err = s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if fi, err = os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("after Close: WAL has %d bytes; want none", fi.Size())
	}
	if err = s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestSQLiteTimesInUTC: times reach the file as UTC text, whatever the
// caller's zone, so they sort and compare as stored.
func TestSQLiteTimesInUTC(t *testing.T) {
	s := openTestSQLite(t, SQLiteOptions{})
	local := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.FixedZone("UTC-5", -5*3600))
	m := Mutation{Jobs: []JobRecord{{ID: 1, Name: "j", Owner: "o", State: "FINISHED", SubmittedAt: local, FinishedAt: &local}}}
	if err := s.Apply(context.Background(), m); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	var submitted, finished string
	row := s.rdb.QueryRowContext(context.Background(), "SELECT CAST(submitted_at AS TEXT), CAST(finished_at AS TEXT) FROM jobs")
	if err := row.Scan(&submitted, &finished); err != nil {
		t.Fatalf("raw select: %v", err)
	}
	for _, v := range []string{submitted, finished} {
		if !strings.HasPrefix(v, "2025-01-02 08:04:05.000006") || !strings.HasSuffix(v, "+00:00") {
			t.Errorf("stored time %q; want 2025-01-02 08:04:05.000006+00:00", v)
		}
	}
}
