package resttest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// NATSURL is the NATS URL of the credentials JoinNode answers.
const NATSURL = "nats://127.0.0.1:4222"

// CreateEnrollToken implements rest.Backend (admins of the source). Token
// IDs are tok-1, tok-2, ...; secrets enroll-SOURCE-N.
func (f *FakeBackend) CreateEnrollToken(_ context.Context, p rest.Principal, source string, req api.EnrollTokenRequest) (api.EnrollToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.adminSourceLocked(p, source, "create tokens of")
	if err != nil {
		return api.EnrollToken{}, err
	}
	if req.TTL < 0 {
		return api.EnrollToken{}, api.Invalid([]api.FieldError{{Field: "ttl", Message: "must not be negative"}})
	}
	f.nextEnrol++
	tok := api.EnrollToken{
		ID: fmt.Sprintf("tok-%d", f.nextEnrol), Source: source, OneTime: req.OneTime,
		CreatedBy: p.Name, CreatedAt: f.now, Description: req.Description,
		Token: fmt.Sprintf("enroll-%s-%d", source, f.nextEnrol),
	}
	if req.TTL > 0 {
		at := f.now.Add(time.Duration(req.TTL))
		tok.ExpiresAt = &at
	}
	s.tokens = append(s.tokens, fakeToken{tok: tok, secret: tok.Token})
	return tok, nil
}

// ListEnrollTokens implements rest.Backend (admins of the source), without
// the secrets.
func (f *FakeBackend) ListEnrollTokens(_ context.Context, p rest.Principal, source string) ([]api.EnrollToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.adminSourceLocked(p, source, "list tokens of")
	if err != nil {
		return nil, err
	}
	out := make([]api.EnrollToken, len(s.tokens))
	for i, t := range s.tokens {
		out[i] = t.tok
		out[i].Token = ""
	}
	return out, nil
}

// RevokeEnrollToken implements rest.Backend (admins of the source).
func (f *FakeBackend) RevokeEnrollToken(_ context.Context, p rest.Principal, source, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.adminSourceLocked(p, source, "revoke tokens of")
	if err != nil {
		return err
	}
	i := slices.IndexFunc(s.tokens, func(t fakeToken) bool { return t.tok.ID == id })
	if i < 0 {
		return api.Errorf(api.CodeNotFound, "node source %s has no token %q", source, id)
	}
	s.tokens = slices.Delete(s.tokens, i, i+1)
	return nil
}

// JoinNode implements rest.Backend: a known, unexpired token makes (or
// takes back) the node in its source, CONFIGURING; a one-time token is
// spent. The credentials' Server is serverURL.
func (f *FakeBackend) JoinNode(_ context.Context, req api.JoinRequest, serverURL string) (api.NodeCredentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return api.NodeCredentials{}, f.fail
	}
	s, i := f.enrollTokenLocked(req.Token)
	if s == nil {
		return api.NodeCredentials{}, api.Errorf(api.CodeBadToken, "unknown, revoked or expired enrollment token")
	}
	if err := api.ValidateNodeName(req.Name); err != nil {
		return api.NodeCredentials{}, api.Invalid([]api.FieldError{{Field: "name", Message: err.Error()}})
	}
	source := s.src.Name
	n := api.Node{Name: req.Name, Source: source, State: api.NodeConfiguring, RegisteredAt: f.now, StateSince: f.now}
	switch j := indexOfNode(f.nodes, req.Name); {
	case j < 0:
		f.nodes = append(f.nodes, n)
	case f.nodes[j].Source != source:
		return api.NodeCredentials{}, api.Errorf(api.CodeConflict, "node name %s belongs to another node source", req.Name)
	default:
		f.nodes[j] = n
	}
	f.recordLocked(n, "registered", "", "joined with token "+s.tokens[i].tok.ID)
	if s.tokens[i].tok.OneTime {
		s.tokens = slices.Delete(s.tokens, i, i+1)
	} else {
		s.tokens[i].tok.Uses++
	}
	return api.NodeCredentials{Name: req.Name, Source: source, Secret: "node-secret-" + req.Name,
		NATSURL: NATSURL, Server: serverURL}, nil
}

// enrollTokenLocked finds an unexpired token by its secret.
func (f *FakeBackend) enrollTokenLocked(secret string) (*fakeSource, int) {
	for _, s := range f.sources {
		for i, t := range s.tokens {
			if t.secret == secret && (t.tok.ExpiresAt == nil || f.now.Before(*t.tok.ExpiresAt)) {
				return s, i
			}
		}
	}
	return nil, -1
}
