package server

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/store"
)

// nodeTokenID is the ID of the reusable enrollment token of the default
// source whose secret is the server's node-token file.
const nodeTokenID = "node-token"

// maxTokenTTL bounds an enrollment token's lifetime when one is given.
const maxTokenTTL = 365 * 24 * time.Hour

func tokenView(r store.EnrollTokenRecord) api.EnrollToken {
	return api.EnrollToken{ID: r.ID, Source: r.Source, OneTime: r.OneTime, ExpiresAt: r.ExpiresAt,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, Uses: r.Uses, Description: r.Description}
}

// CreateEnrollToken implements rest.Backend (source administrators).
func (s *Server) CreateEnrollToken(_ context.Context, p rest.Principal, source string, req api.EnrollTokenRequest) (api.EnrollToken, error) {
	var errs []api.FieldError
	if req.TTL < 0 || time.Duration(req.TTL) > maxTokenTTL {
		errs = append(errs, api.FieldError{Field: "ttl", Message: "must be between 0 (no expiry) and 365d"})
	}
	if len(req.Description) > 200 {
		errs = append(errs, api.FieldError{Field: "description", Message: "at most 200 characters"})
	}
	if len(errs) > 0 {
		return api.EnrollToken{}, api.Invalid(errs)
	}
	secret := "shrike-enroll-" + randomToken(24)
	now := s.now()
	rec := store.EnrollTokenRecord{ID: randomToken(6), Source: source, TokenHash: hashToken(secret), OneTime: req.OneTime,
		CreatedBy: p.Name, CreatedAt: now, Description: req.Description}
	if req.TTL > 0 {
		rec.ExpiresAt = timePtr(now.Add(time.Duration(req.TTL)))
	}
	var c change
	s.mu.Lock()
	src, err := s.adminSource(p, source)
	if err != nil {
		s.mu.Unlock()
		return api.EnrollToken{}, err
	}
	_ = src
	s.enroll[rec.ID] = rec
	c.m.EnrollTokens = append(c.m.EnrollTokens, rec)
	s.seal(&c)
	s.mu.Unlock()
	if err := s.commitChange(&c); err != nil {
		return api.EnrollToken{}, err
	}
	v := tokenView(rec)
	v.Token = secret
	return v, nil
}

// ListEnrollTokens implements rest.Backend (source administrators).
func (s *Server) ListEnrollTokens(_ context.Context, p rest.Principal, source string) ([]api.EnrollToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.adminSource(p, source); err != nil {
		return nil, err
	}
	out := []api.EnrollToken{}
	for _, r := range s.enroll {
		if r.Source == source {
			out = append(out, tokenView(r))
		}
	}
	slices.SortFunc(out, func(a, b api.EnrollToken) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// RevokeEnrollToken implements rest.Backend (source administrators).
// Nodes that already joined keep their own credentials.
func (s *Server) RevokeEnrollToken(_ context.Context, p rest.Principal, source, id string) error {
	var c change
	s.mu.Lock()
	if _, err := s.adminSource(p, source); err != nil {
		s.mu.Unlock()
		return err
	}
	r, ok := s.enroll[id]
	if !ok || r.Source != source {
		s.mu.Unlock()
		return api.Errorf(api.CodeNotFound, "source %s has no enrollment token %s", source, id)
	}
	delete(s.enroll, id)
	c.m.DeleteEnrollTokens = append(c.m.DeleteEnrollTokens, id)
	s.seal(&c)
	s.mu.Unlock()
	return s.commitChange(&c)
}

var errBadEnrollToken = api.Errorf(api.CodeUnauthorized, "invalid, expired or spent enrollment token")

// JoinNode implements rest.Backend: a node trades an enrollment token for
// credentials of its own. The name must be free: a node whose credentials
// were lost is removed first (`shrike node rm`), which revokes them.
func (s *Server) JoinNode(_ context.Context, req api.JoinRequest, serverURL string) (api.NodeCredentials, error) {
	if req.Token == "" {
		return api.NodeCredentials{}, api.Invalid([]api.FieldError{{Field: "token", Message: "required"}})
	}
	if err := api.ValidateNodeName(req.Name); err != nil {
		return api.NodeCredentials{}, api.Invalid([]api.FieldError{{Field: "name", Message: err.Error()}})
	}
	h := hashToken(req.Token)
	now := s.now()
	secret := randomToken(32)
	var c change
	s.mu.Lock()
	var tok store.EnrollTokenRecord
	found := false
	for _, r := range s.enroll {
		if r.TokenHash == h {
			tok, found = r, true
			break
		}
	}
	if !found || (tok.ExpiresAt != nil && now.After(*tok.ExpiresAt)) {
		s.mu.Unlock()
		return api.NodeCredentials{}, errBadEnrollToken
	}
	src := s.sources[tok.Source]
	if src == nil {
		s.mu.Unlock()
		return api.NodeCredentials{}, errBadEnrollToken
	}
	if _, taken := s.creds[req.Name]; taken || s.reg.Get(req.Name) != nil {
		s.mu.Unlock()
		return api.NodeCredentials{}, api.Errorf(api.CodeConflict, "node name %q is taken: choose another --name, or remove the old node first (shrike node rm %s)", req.Name, req.Name)
	}
	if tok.OneTime {
		delete(s.enroll, tok.ID)
		c.m.DeleteEnrollTokens = append(c.m.DeleteEnrollTokens, tok.ID)
	} else {
		tok.Uses++
		s.enroll[tok.ID] = tok
		c.m.EnrollTokens = append(c.m.EnrollTokens, tok)
	}
	cred := store.CredentialRecord{Node: req.Name, Source: tok.Source, SecretHash: hashToken(secret), CreatedAt: now}
	s.creds[req.Name] = cred
	c.m.Credentials = append(c.m.Credentials, cred)
	s.seal(&c)
	s.mu.Unlock()
	if err := s.commitChange(&c); err != nil {
		return api.NodeCredentials{}, err
	}
	s.auth.set(req.Name, cred.SecretHash)
	s.log.Info("node joined", "node", req.Name, "source", tok.Source, "token", tok.ID)
	return api.NodeCredentials{Name: req.Name, Source: tok.Source, Secret: secret, NATSURL: s.nodeNATSURLFor(serverURL), Server: serverURL}, nil
}

// nodeNATSURL is the NATS URL nodes are told to use.
func (s *Server) nodeNATSURL() string { return s.nodeNATSURLFor("") }

// nodeNATSURLFor is the NATS URL told to a node that reached the REST API
// at serverURL: nats_advertise when set; else, when NATS listens on every
// interface (0.0.0.0, ::), the host the node used for REST with the NATS
// port — "nats://0.0.0.0:4222" would reach nothing; else the listen address.
func (s *Server) nodeNATSURLFor(serverURL string) string {
	if s.cfg.NATSAdvertise != "" {
		return s.cfg.NATSAdvertise
	}
	host, port, err := net.SplitHostPort(s.cfg.NATSListen)
	if ip := net.ParseIP(host); err == nil && (host == "" || ip != nil && ip.IsUnspecified()) {
		if u, perr := url.Parse(serverURL); perr == nil && u.Hostname() != "" {
			if p := s.natsPort(); p != "" {
				port = p
			}
			return "nats://" + net.JoinHostPort(u.Hostname(), port)
		}
	}
	return s.NATSURL()
}

// natsPort is the port the embedded NATS server listens on.
func (s *Server) natsPort() string {
	if s.ns == nil {
		return ""
	}
	if addr, ok := s.ns.Addr().(*net.TCPAddr); ok {
		return strconv.Itoa(addr.Port)
	}
	return ""
}

// mintCredentials makes credentials for a node the server deploys itself
// (infrastructures) and adds them to c. Called with s.mu held; the NATS
// authenticator learns them once c is durable (see grantAfter).
func (s *Server) mintCredentials(node, source string, c *change) api.NodeCredentials {
	secret := randomToken(32)
	cred := store.CredentialRecord{Node: node, Source: source, SecretHash: hashToken(secret), CreatedAt: s.now()}
	s.creds[node] = cred
	c.m.Credentials = append(c.m.Credentials, cred)
	c.grants = append(c.grants, cred)
	return api.NodeCredentials{Name: node, Source: source, Secret: secret, NATSURL: s.nodeNATSURL(), Server: s.URL()}
}

// revokeCredentials forgets a node's credentials (in c) and, once c is
// durable, refuses its connections and disconnects it. A connected node
// that is being removed (forgetNode) is first told to leave, then
// disconnected. Called with s.mu held.
func (s *Server) revokeCredentials(node string, c *change) {
	if _, ok := s.creds[node]; !ok {
		return
	}
	delete(s.creds, node)
	c.m.DeleteCredentials = append(c.m.DeleteCredentials, node)
	if n := s.reg.Get(node); n != nil && n.Alive() {
		return // forgetNode disconnects it after the leave command
	}
	c.revoke = append(c.revoke, node)
}

// applyCredentials runs after a change is durable: the NATS
// authenticator learns granted credentials and forgets revoked ones, whose
// connections are closed.
func (s *Server) applyCredentials(grants []store.CredentialRecord, revoked []string) {
	// Revocations first: a node redeployed under its old name has its old
	// credentials revoked and new ones granted in the same change.
	for _, n := range revoked {
		s.auth.revoke(n)
		if k := disconnectNode(s.ns, n); k > 0 {
			s.log.Info("node disconnected: credentials revoked", "node", n)
		}
	}
	for _, g := range grants {
		s.auth.set(g.Node, g.SecretHash)
	}
}

// JoinCommand is the command line an administrator runs on a machine to
// join it with token (printed by the CLI and the dev server).
func JoinCommand(serverURL, token string) string {
	return fmt.Sprintf("shrike node --server %s --token %s", serverURL, strings.TrimSpace(token))
}

// EnrollLocal gives node name credentials in the default source, as if it
// had joined with the server's node token: for agents the server's own
// process starts (dev mode, benchmarks, tests).
func (s *Server) EnrollLocal(ctx context.Context, name string) (api.NodeCredentials, error) {
	return s.JoinNode(ctx, api.JoinRequest{Token: s.nodeToken, Name: name}, s.URL())
}
