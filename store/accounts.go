package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreateUser stores a new user, or returns an error wrapping ErrExists if
// the name is taken. Changes to a stored user (its groups, say) go through
// Apply (Mutation.Users).
func (s *sqlStore) CreateUser(ctx context.Context, u UserRecord) error {
	m := userToModel(u)
	return s.insertNew(ctx, &m, "user "+u.Name)
}

// GetUser returns the user with that name, or an error wrapping ErrNotFound.
func (s *sqlStore) GetUser(ctx context.Context, name string) (UserRecord, error) {
	var m userModel
	err := s.r.WithContext(ctx).Where("name = ?", name).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return UserRecord{}, fmt.Errorf("store: user %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return UserRecord{}, fmt.Errorf("store: get user %q: %w", name, err)
	}
	u, err := userFromModel(m)
	if err != nil {
		return UserRecord{}, fmt.Errorf("store: get %w", err)
	}
	return u, nil
}

// ListUsers returns every user, by name.
func (s *sqlStore) ListUsers(ctx context.Context) ([]UserRecord, error) {
	var ms []userModel
	if err := s.r.WithContext(ctx).Order("name").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	out := make([]UserRecord, len(ms))
	for i, m := range ms {
		u, err := userFromModel(m)
		if err != nil {
			return nil, fmt.Errorf("store: list users: %w", err)
		}
		out[i] = u
	}
	return out, nil
}

// CreateSession stores a new session, or returns an error wrapping ErrExists
// if its token hash is taken.
func (s *sqlStore) CreateSession(ctx context.Context, r SessionRecord) error {
	m := sessionModel{TokenHash: r.TokenHash, User: r.User, CreatedAt: utc(r.CreatedAt), ExpiresAt: utc(r.ExpiresAt)}
	return s.insertNew(ctx, &m, "session")
}

// GetSession finds a session by the hash of its token, or returns an error
// wrapping ErrNotFound. Expiry is the caller's business: an expired session
// is still returned until it is deleted.
func (s *sqlStore) GetSession(ctx context.Context, tokenHash string) (SessionRecord, error) {
	var m sessionModel
	err := s.r.WithContext(ctx).Where("token_hash = ?", tokenHash).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return SessionRecord{}, fmt.Errorf("store: session: %w", ErrNotFound)
	}
	if err != nil {
		return SessionRecord{}, fmt.Errorf("store: get session: %w", err)
	}
	return sessionFromModel(m), nil
}

// DeleteSession removes a session. Deleting one that does not exist is not
// an error, so logging out twice is harmless.
func (s *sqlStore) DeleteSession(ctx context.Context, tokenHash string) error {
	err := s.w.WithContext(ctx).Where("token_hash = ?", tokenHash).Delete(&sessionModel{}).Error
	if err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// insertNew inserts one row unless its primary key is taken, in which case
// it returns ErrExists. ON CONFLICT DO NOTHING is portable and needs no
// parsing of driver errors.
func (s *sqlStore) insertNew(ctx context.Context, row any, what string) error {
	res := s.w.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(row)
	if res.Error != nil {
		return fmt.Errorf("store: create %s: %w", what, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: create %s: %w", what, ErrExists)
	}
	return nil
}

func userToModel(r UserRecord) userModel {
	return userModel{Name: r.Name, Role: r.Role, PasswordHash: r.PasswordHash, CreatedAt: utc(r.CreatedAt),
		Groups: encodeGroups(r.Groups)}
}

// userFromModel decodes a user row; it fails only on a groups column that
// is not a JSON list of strings.
func userFromModel(m userModel) (UserRecord, error) {
	groups, err := decodeGroups(m.Groups)
	if err != nil {
		return UserRecord{}, fmt.Errorf("user %q: groups: %w", m.Name, err)
	}
	return UserRecord{Name: m.Name, Role: m.Role, PasswordHash: m.PasswordHash, CreatedAt: utc(m.CreatedAt),
		Groups: groups}, nil
}

// encodeGroups renders groups as a JSON list; nil is "[]".
func encodeGroups(groups []string) string {
	if len(groups) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(groups) // a []string always marshals
	return string(b)
}

// decodeGroups parses a groups column; "" (a row older than the column)
// and "[]" are no groups, returned as nil.
func decodeGroups(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var groups []string
	if err := json.Unmarshal([]byte(s), &groups); err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, nil
	}
	return groups, nil
}
