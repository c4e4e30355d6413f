package storetest

import (
	"context"
	"testing"

	"github.com/shrike-grid/shrike/store"
)

// listSources reads every source, failing the test on error.
func listSources(t *testing.T, s store.Store) []store.SourceRecord {
	t.Helper()
	got, err := s.ListSources(context.Background())
	if err != nil {
		t.Fatalf("ListSources: %v", err)
	}
	return normSources(got)
}

func listTokens(t *testing.T, s store.Store) []store.EnrollTokenRecord {
	t.Helper()
	got, err := s.ListEnrollTokens(context.Background())
	if err != nil {
		t.Fatalf("ListEnrollTokens: %v", err)
	}
	return got
}

func listCredentials(t *testing.T, s store.Store) []store.CredentialRecord {
	t.Helper()
	got, err := s.ListCredentials(context.Background())
	if err != nil {
		t.Fatalf("ListCredentials: %v", err)
	}
	return got
}

// testSources: every field round-trips, sources list by name, an upsert
// replaces the whole row (non-nil blobs become nil), a deletion removes it
// and deleting a missing source is harmless.
func testSources(t *testing.T, o Options) {
	s := open(t, o)
	check(t, "sources on empty store", listSources(t, s), []store.SourceRecord{})
	b, a := source("b", "bob"), source("a", "alice")
	bare := store.SourceRecord{Name: "c", CreatedAt: at(0)}
	apply(t, s, store.Mutation{Sources: []store.SourceRecord{b, a, bare}})
	check(t, "sources by name", listSources(t, s), wantSources(a, b, bare))

	a2 := store.SourceRecord{Name: "a", Spec: []byte(`{"v":2}`), Status: "PAUSED", Owner: "carol", CreatedAt: at(50)}
	apply(t, s, store.Mutation{Sources: []store.SourceRecord{a2}})
	check(t, "sources after upsert", listSources(t, s), wantSources(a2, b, bare))

	apply(t, s, store.Mutation{DeleteSources: []string{"b", "missing"}})
	check(t, "sources after delete", listSources(t, s), wantSources(a2, bare))
}

// testEnrollTokens: every field round-trips (a nil expiry too), tokens list
// by source then ID, an upsert replaces the row, a deletion removes it.
func testEnrollTokens(t *testing.T, o Options) {
	s := open(t, o)
	check(t, "tokens on empty store", listTokens(t, s), []store.EnrollTokenRecord{})
	t1, t2, t3 := token("t1", "pool-b"), token("t2", "pool-a"), token("t0", "pool-b")
	bare := store.EnrollTokenRecord{ID: "t9", Source: "pool-a", TokenHash: "hash-t9", CreatedAt: at(0)}
	apply(t, s, store.Mutation{EnrollTokens: []store.EnrollTokenRecord{t1, t2, t3, bare}})
	check(t, "tokens by source, ID", listTokens(t, s), wantTokens(t2, bare, t3, t1))

	used := t1
	used.Uses, used.ExpiresAt, used.OneTime, used.Description = 4, nil, false, "renamed"
	apply(t, s, store.Mutation{EnrollTokens: []store.EnrollTokenRecord{used}})
	check(t, "tokens after upsert", listTokens(t, s), wantTokens(t2, bare, t3, used))

	apply(t, s, store.Mutation{DeleteEnrollTokens: []string{"t0", "t2", "missing"}})
	check(t, "tokens after delete", listTokens(t, s), wantTokens(bare, used))
}

// testEnrollTokenHashUnique: two tokens cannot share a hash; the Apply that
// tries fails whole.
func testEnrollTokenHashUnique(t *testing.T, o Options) {
	s := open(t, o)
	apply(t, s, store.Mutation{EnrollTokens: []store.EnrollTokenRecord{token("t1", "pool")}})
	dup := token("t2", "pool")
	dup.TokenHash = "hash-t1"
	err := s.Apply(context.Background(), store.Mutation{
		Sources:      []store.SourceRecord{source("pool", "alice")},
		EnrollTokens: []store.EnrollTokenRecord{dup},
	})
	if err == nil {
		t.Fatalf("Apply of a token with a taken hash: no error")
	}
	check(t, "tokens after failed Apply", listTokens(t, s), wantTokens(token("t1", "pool")))
	check(t, "sources after failed Apply", listSources(t, s), []store.SourceRecord{})
}

// testCredentials: every field round-trips, credentials list by node, an
// upsert replaces the row, a deletion removes it.
func testCredentials(t *testing.T, o Options) {
	s := open(t, o)
	check(t, "credentials on empty store", listCredentials(t, s), []store.CredentialRecord{})
	n2, n1 := credential("n2", "pool"), credential("n1", "default")
	apply(t, s, store.Mutation{Credentials: []store.CredentialRecord{n2, n1}})
	check(t, "credentials by node", listCredentials(t, s), wantCredentials(n1, n2))

	rotated := store.CredentialRecord{Node: "n2", Source: "other", SecretHash: "new", CreatedAt: at(99)}
	apply(t, s, store.Mutation{Credentials: []store.CredentialRecord{rotated}})
	check(t, "credentials after upsert", listCredentials(t, s), wantCredentials(n1, rotated))

	apply(t, s, store.Mutation{DeleteCredentials: []string{"n1", "missing"}})
	check(t, "credentials after delete", listCredentials(t, s), wantCredentials(rotated))
}

// testDeleteSourceKeepsRows: a source is not a foreign key; deleting it
// leaves its nodes, tokens and credentials to the server.
func testDeleteSourceKeepsRows(t *testing.T, o Options) {
	s := open(t, o)
	n := node("n1", "FREE")
	n.Source = "pool"
	apply(t, s, store.Mutation{
		Sources:      []store.SourceRecord{source("pool", "alice")},
		Nodes:        []store.NodeRecord{n},
		EnrollTokens: []store.EnrollTokenRecord{token("t1", "pool")},
		Credentials:  []store.CredentialRecord{credential("n1", "pool")},
	})
	apply(t, s, store.Mutation{DeleteSources: []string{"pool"}})
	check(t, "sources", listSources(t, s), []store.SourceRecord{})
	nodes, err := s.ListNodes(context.Background())
	if err != nil {
		t.Fatalf("ListNodes: %v", err)
	}
	check(t, "nodes of the deleted source", normNodes(nodes), []store.NodeRecord{wantNode(n)})
	check(t, "tokens of the deleted source", listTokens(t, s), wantTokens(token("t1", "pool")))
	check(t, "credentials of the deleted source", listCredentials(t, s), wantCredentials(credential("n1", "pool")))
}

// testSourcesInOneApply: within one Apply, a later upsert wins, a deletion
// after an upsert removes the row and an upsert after a deletion brings it
// back, for sources, tokens and credentials alike.
func testSourcesInOneApply(t *testing.T, o Options) {
	s := open(t, o)
	apply(t, s, store.Mutation{
		Sources:      []store.SourceRecord{source("kept", "alice"), source("back", "alice")},
		EnrollTokens: []store.EnrollTokenRecord{token("kept", "p"), token("back", "p")},
		Credentials:  []store.CredentialRecord{credential("kept", "p"), credential("back", "p")},
	})
	first, second := source("gone", "alice"), source("back", "bob")
	apply(t, s,
		store.Mutation{
			Sources:      []store.SourceRecord{first},
			EnrollTokens: []store.EnrollTokenRecord{token("gone", "p")},
			Credentials:  []store.CredentialRecord{credential("gone", "p")},
		},
		store.Mutation{
			DeleteSources:      []string{"gone", "back"},
			DeleteEnrollTokens: []string{"gone", "back"},
			DeleteCredentials:  []string{"gone", "back"},
		},
		store.Mutation{
			Sources:      []store.SourceRecord{second},
			EnrollTokens: []store.EnrollTokenRecord{token("back", "q")},
			Credentials:  []store.CredentialRecord{credential("back", "q")},
		},
	)
	check(t, "sources", listSources(t, s), wantSources(second, source("kept", "alice")))
	check(t, "tokens", listTokens(t, s), wantTokens(token("kept", "p"), token("back", "q")))
	check(t, "credentials", listCredentials(t, s), wantCredentials(credential("back", "q"), credential("kept", "p")))
}
