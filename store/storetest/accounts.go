package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/shrike-grid/shrike/store"
)

func testUsers(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	if _, err := s.GetUser(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser(alice) on empty store: err = %v; want ErrNotFound", err)
	}
	if users, err := s.ListUsers(ctx); err != nil || len(users) != 0 {
		t.Errorf("ListUsers on empty store = %v, %v; want none", users, err)
	}
	bob := store.UserRecord{Name: "bob", Role: "user", PasswordHash: "$argon2id$bob", CreatedAt: at(1)}
	alice := store.UserRecord{Name: "alice", Role: "admin", PasswordHash: "$argon2id$alice", CreatedAt: at(2),
		Groups: []string{"physics", "ops", "a \"quoted\", group"}}
	for _, u := range []store.UserRecord{bob, alice} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser(%s): %v", u.Name, err)
		}
	}
	dup := store.UserRecord{Name: "alice", Role: "user", PasswordHash: "other", CreatedAt: at(3)}
	if err := s.CreateUser(ctx, dup); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateUser(duplicate alice): err = %v; want ErrExists", err)
	}
	got, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatalf("GetUser(alice): %v", err)
	}
	check(t, "alice (unchanged by the duplicate)", normUser(got), wantUser(alice))
	users, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	check(t, "users by name", normUsers(users), []store.UserRecord{wantUser(alice), wantUser(bob)})
}

// testUserUpserts: Mutation.Users replaces whole rows (groups included) and
// creates missing ones, and CreateUser still refuses a name taken that way.
func testUserUpserts(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	alice := store.UserRecord{Name: "alice", Role: "user", PasswordHash: "h1", CreatedAt: at(0)}
	if err := s.CreateUser(ctx, alice); err != nil {
		t.Fatalf("CreateUser(alice): %v", err)
	}
	changed := store.UserRecord{Name: "alice", Role: "admin", PasswordHash: "h2", CreatedAt: at(1), Groups: []string{"ops"}}
	carol := store.UserRecord{Name: "carol", Role: "user", PasswordHash: "h3", CreatedAt: at(2), Groups: []string{}}
	apply(t, s, store.Mutation{Users: []store.UserRecord{changed, carol}})
	users, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	check(t, "users after upsert", normUsers(users), []store.UserRecord{wantUser(changed), wantUser(carol)})

	// Groups emptied: none come back.
	changed.Groups = nil
	apply(t, s, store.Mutation{Users: []store.UserRecord{changed}})
	got, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatalf("GetUser(alice): %v", err)
	}
	check(t, "alice without groups", normUser(got), wantUser(changed))
	if err = s.CreateUser(ctx, carol); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateUser(carol) after an upsert: err = %v; want ErrExists", err)
	}
}

// wantUser normalises an expected user: times in UTC, no groups as nil.
func wantUser(u store.UserRecord) store.UserRecord {
	u.CreatedAt = utc(u.CreatedAt)
	return normUser(u)
}

// normUser maps an empty groups list to nil: a store may return either.
func normUser(u store.UserRecord) store.UserRecord {
	if len(u.Groups) == 0 {
		u.Groups = nil
	}
	return u
}

func normUsers(us []store.UserRecord) []store.UserRecord {
	out := make([]store.UserRecord, len(us))
	for i, u := range us {
		out[i] = normUser(u)
	}
	return out
}

func testSessions(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	if _, err := s.GetSession(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSession(h1) on empty store: err = %v; want ErrNotFound", err)
	}
	s1 := store.SessionRecord{TokenHash: "h1", User: "alice", CreatedAt: at(0), ExpiresAt: at(60)}
	s2 := store.SessionRecord{TokenHash: "h2", User: "alice", CreatedAt: at(1), ExpiresAt: at(61)}
	for _, r := range []store.SessionRecord{s1, s2} {
		if err := s.CreateSession(ctx, r); err != nil {
			t.Fatalf("CreateSession(%s): %v", r.TokenHash, err)
		}
	}
	if err := s.CreateSession(ctx, store.SessionRecord{TokenHash: "h1", User: "bob", CreatedAt: at(5), ExpiresAt: at(6)}); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateSession(duplicate h1): err = %v; want ErrExists", err)
	}
	got, err := s.GetSession(ctx, "h1")
	if err != nil {
		t.Fatalf("GetSession(h1): %v", err)
	}
	check(t, "session h1", got, wantSession(s1))

	if err = s.DeleteSession(ctx, "h1"); err != nil {
		t.Fatalf("DeleteSession(h1): %v", err)
	}
	if _, err = s.GetSession(ctx, "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSession(h1) after delete: err = %v; want ErrNotFound", err)
	}
	if err = s.DeleteSession(ctx, "h1"); err != nil {
		t.Errorf("DeleteSession(h1) again = %v; want nil (idempotent)", err)
	}
	got, err = s.GetSession(ctx, "h2")
	if err != nil {
		t.Fatalf("GetSession(h2) after deleting h1: %v", err)
	}
	check(t, "session h2", got, wantSession(s2))
}

func wantSession(r store.SessionRecord) store.SessionRecord {
	r.CreatedAt, r.ExpiresAt = utc(r.CreatedAt), utc(r.ExpiresAt)
	return r
}
