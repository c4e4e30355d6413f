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
	alice := store.UserRecord{Name: "alice", Role: "admin", PasswordHash: "$argon2id$alice", CreatedAt: at(2)}
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
	check(t, "alice (unchanged by the duplicate)", got, wantUser(alice))
	users, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	check(t, "users by name", users, []store.UserRecord{wantUser(alice), wantUser(bob)})
}

func wantUser(u store.UserRecord) store.UserRecord {
	u.CreatedAt = utc(u.CreatedAt)
	return u
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
