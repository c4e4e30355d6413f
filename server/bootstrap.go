package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/store"
)

// File names under the data dir.
const (
	AdminPasswordFile = "admin-password"
	NodeTokenFile     = "node-token"
)

// randomToken returns n random bytes, URL-safe base64 encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// loadOrCreateSecret reads a secret file, or creates it (mode 0600) with a
// fresh random value. created reports whether it was new.
func loadOrCreateSecret(path string) (secret string, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(data))
		if s == "" {
			return "", false, fmt.Errorf("%s is empty: delete it to generate a new one", path)
		}
		return s, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	s := randomToken(24)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(s+"\n"), 0o600); err != nil {
		return "", false, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", false, err
	}
	return s, true, nil
}

// bootstrapAdmin creates user admin with a random password on first start
// and writes the password to <data-dir>/admin-password.
func bootstrapAdmin(ctx context.Context, st store.Store, dataDir string, now time.Time) (created bool, err error) {
	users, err := st.ListUsers(ctx)
	if err != nil {
		return false, err
	}
	if len(users) > 0 {
		return false, nil
	}
	path := filepath.Join(dataDir, AdminPasswordFile)
	password, _, err := loadOrCreateSecret(path)
	if err != nil {
		return false, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return false, err
	}
	u := store.UserRecord{Name: "admin", Role: api.RoleAdmin, PasswordHash: hash, CreatedAt: now}
	if err := st.CreateUser(ctx, u); err != nil {
		return false, fmt.Errorf("create admin user: %w", err)
	}
	return true, nil
}
