package server

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/store"
)

const pbkdf2Iterations = 100_000

// hashPassword returns "pbkdf2-sha256$ITER$SALT$HASH" (base64).
func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, pbkdf2Iterations, 32)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", pbkdf2Iterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkPassword compares a password with a hash from hashPassword.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter <= 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against for unknown users (made on first use: it
// costs a full key derivation).
var dummyHash = sync.OnceValue(func() string {
	h, _ := hashPassword("no such user")
	return h
})

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// sessions caches resolved API tokens so that authenticating a request
// does not cost a store read.
type sessions struct {
	mu    sync.Mutex
	cache map[string]rest.Principal
	exp   map[string]time.Time
}

func (s *sessions) get(h string, now time.Time) (rest.Principal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.cache[h]
	if !ok || now.After(s.exp[h]) {
		return rest.Principal{}, false
	}
	return p, true
}

func (s *sessions) put(h string, p rest.Principal, exp time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil {
		s.cache, s.exp = make(map[string]rest.Principal), make(map[string]time.Time)
	}
	s.cache[h], s.exp[h] = p, exp
}

func (s *sessions) drop(h string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cache, h)
	delete(s.exp, h)
}

var errBadLogin = api.Errorf(api.CodeUnauthorized, "wrong username or password")

// Login implements rest.Backend.
func (s *Server) Login(ctx context.Context, username, password string) (api.LoginResponse, error) {
	u, err := s.store.GetUser(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		checkPassword(dummyHash(), password) // same work as a real check: timing reveals no user names
		return api.LoginResponse{}, errBadLogin
	}
	if err != nil {
		return api.LoginResponse{}, err
	}
	if !checkPassword(u.PasswordHash, password) {
		return api.LoginResponse{}, errBadLogin
	}
	token := randomToken(32)
	now := s.now()
	rec := store.SessionRecord{TokenHash: hashToken(token), User: u.Name, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if err := s.store.CreateSession(ctx, rec); err != nil {
		return api.LoginResponse{}, err
	}
	return api.LoginResponse{Token: token, ExpiresAt: rec.ExpiresAt, Username: u.Name, Role: u.Role}, nil
}

// Authenticate implements rest.Backend.
func (s *Server) Authenticate(ctx context.Context, token string) (rest.Principal, error) {
	unauthorized := api.Errorf(api.CodeUnauthorized, "invalid or expired token: log in again")
	if token == "" {
		return rest.Principal{}, unauthorized
	}
	if strings.HasPrefix(token, taskTokenPrefix) {
		return s.taskPrincipal(token)
	}
	h := hashToken(token)
	now := s.now()
	if p, ok := s.sessions.get(h, now); ok {
		return p, nil
	}
	sess, err := s.store.GetSession(ctx, h)
	if errors.Is(err, store.ErrNotFound) || (err == nil && now.After(sess.ExpiresAt)) {
		return rest.Principal{}, unauthorized
	}
	if err != nil {
		return rest.Principal{}, err
	}
	u, err := s.store.GetUser(ctx, sess.User)
	if err != nil {
		return rest.Principal{}, unauthorized
	}
	p := rest.Principal{Name: u.Name, Role: u.Role, Groups: u.Groups}
	s.sessions.put(h, p, sess.ExpiresAt)
	return p, nil
}

// Logout implements rest.Backend.
func (s *Server) Logout(ctx context.Context, token string) error {
	h := hashToken(token)
	s.sessions.drop(h)
	return s.store.DeleteSession(ctx, h)
}

var userNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_.-]{0,63}$`)

// CreateUser implements rest.Backend (admins only).
func (s *Server) CreateUser(ctx context.Context, p rest.Principal, req api.CreateUserRequest) (api.User, error) {
	if !p.IsAdmin() {
		return api.User{}, api.Errorf(api.CodeForbidden, "only admins can create users")
	}
	var errs []api.FieldError
	if !userNameRE.MatchString(req.Name) {
		errs = append(errs, api.FieldError{Field: "name", Message: "use lower-case letters, digits, '_', '.', '-' (at most 64, starting with a letter or '_')"})
	}
	if len(req.Password) < 8 {
		errs = append(errs, api.FieldError{Field: "password", Message: "must be at least 8 characters"})
	}
	if req.Role == "" {
		req.Role = api.RoleUser
	}
	if req.Role != api.RoleUser && req.Role != api.RoleAdmin {
		errs = append(errs, api.FieldError{Field: "role", Message: fmt.Sprintf("must be %q or %q", api.RoleUser, api.RoleAdmin)})
	}
	for i, g := range req.Groups {
		if !userNameRE.MatchString(g) {
			errs = append(errs, api.FieldError{Field: fmt.Sprintf("groups[%d]", i), Message: fmt.Sprintf("%q: use lower-case letters, digits, '_', '.', '-'", g)})
		}
	}
	if len(errs) > 0 {
		return api.User{}, api.Invalid(errs)
	}
	hash, err := hashPassword(req.Password)
	if err != nil {
		return api.User{}, err
	}
	rec := store.UserRecord{Name: req.Name, Role: req.Role, PasswordHash: hash, Groups: req.Groups, CreatedAt: s.now()}
	if err := s.store.CreateUser(ctx, rec); errors.Is(err, store.ErrExists) {
		return api.User{}, api.Errorf(api.CodeConflict, "user %q already exists", req.Name)
	} else if err != nil {
		return api.User{}, err
	}
	s.mu.Lock()
	s.userGroups[rec.Name] = rec.Groups
	s.mu.Unlock()
	return api.User{Name: rec.Name, Role: rec.Role, Groups: rec.Groups, CreatedAt: rec.CreatedAt}, nil
}

// ListUsers implements rest.Backend (admins only).
func (s *Server) ListUsers(ctx context.Context, p rest.Principal) ([]api.User, error) {
	if !p.IsAdmin() {
		return nil, api.Errorf(api.CodeForbidden, "only admins can list users")
	}
	recs, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]api.User, 0, len(recs))
	for _, r := range recs {
		out = append(out, api.User{Name: r.Name, Role: r.Role, Groups: r.Groups, CreatedAt: r.CreatedAt})
	}
	return out, nil
}
