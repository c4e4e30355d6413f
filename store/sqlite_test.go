package store_test

import (
	"path/filepath"
	"testing"

	"github.com/shrike-grid/shrike/store"
	"github.com/shrike-grid/shrike/store/storetest"
)

// TestSQLiteContract runs the contract suite against real SQLite files.
func TestSQLiteContract(t *testing.T) {
	storetest.Run(t, storetest.Options{
		Open: func(t *testing.T) store.Store {
			s, err := store.OpenSQLite(filepath.Join(t.TempDir(), "shrike.db"), store.SQLiteOptions{})
			if err != nil {
				t.Fatalf("OpenSQLite: %v", err)
			}
			return s
		},
		Reopen: func(t *testing.T, old store.Store) store.Store {
			s, err := store.OpenSQLite(old.(*store.SQLite).Path(), store.SQLiteOptions{})
			if err != nil {
				t.Fatalf("reopen %s: %v", old.(*store.SQLite).Path(), err)
			}
			return s
		},
	})
}
