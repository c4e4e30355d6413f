// Package storetest is the contract suite of store.Store: every
// implementation (SQLite, PostgreSQL) runs it from its own test, so they all
// behave the same.
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, storetest.Options{
//			Open:   func(t *testing.T) store.Store { ... a new, empty store ... },
//			Reopen: func(t *testing.T, s store.Store) store.Store { ... the same database again ... },
//		})
//	}
//
// The suite's times have microsecond precision (PostgreSQL's), in a zone
// other than UTC; stores must return the same instants, in UTC.
package storetest
