package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// CredentialsFile is the credentials file's name in the work directory,
// where the agent keeps it unless told otherwise (--credentials).
const CredentialsFile = "credentials.json"

// ErrNoCredentials means the credentials file does not exist: the node has
// not joined yet.
var ErrNoCredentials = errors.New("no credentials file")

// ReadCredentials reads a node's credentials file. It refuses a file that
// group or others may access (the secret is the node's password) and one
// that lacks a field. A missing file is an error wrapping ErrNoCredentials.
func ReadCredentials(path string) (api.NodeCredentials, error) {
	var c api.NodeCredentials
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, fmt.Errorf("credentials file %s: %w (join first: shrike node join)", path, ErrNoCredentials)
	}
	if err != nil {
		return c, fmt.Errorf("credentials file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return c, fmt.Errorf("credentials file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return c, fmt.Errorf("credentials file %s: not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return c, fmt.Errorf("credentials file %s: mode %04o lets group or others read the node's secret: run chmod 600 %s", path, perm, path)
	}
	if err := json.NewDecoder(f).Decode(&c); err != nil {
		return c, fmt.Errorf("credentials file %s: not valid JSON: %w", path, err)
	}
	if err := checkCredentials(c); err != nil {
		return c, fmt.Errorf("credentials file %s: %w", path, err)
	}
	return c, nil
}

// checkCredentials reports every missing or invalid field of c.
func checkCredentials(c api.NodeCredentials) error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("name: missing"))
	} else if err := api.ValidateNodeName(c.Name); err != nil {
		errs = append(errs, fmt.Errorf("name: %w", err))
	}
	if c.Secret == "" {
		errs = append(errs, errors.New("secret: missing"))
	}
	if c.NATSURL == "" {
		errs = append(errs, errors.New("nats_url: missing"))
	}
	return errors.Join(errs...)
}

// WriteCredentials writes c to path atomically (a temporary file of mode
// 0600 in the same directory, then a rename), creating the directory with
// mode 0700 if needed. An existing file is replaced.
func WriteCredentials(path string, c api.NodeCredentials) error {
	if err := checkCredentials(c); err != nil {
		return fmt.Errorf("writing credentials: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing credentials: %w", err)
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("writing credentials: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".credentials-*.json") // mode 0600
	if err != nil {
		return fmt.Errorf("writing credentials: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing credentials: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing credentials: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing credentials: %w", err)
	}
	return nil
}

// CheckServerURL checks that server is the REST URL of a server (http:// or
// https://). A NATS URL, which nodes were given before they had credentials
// of their own, gets an explanation.
func CheckServerURL(server string) error {
	u, err := url.Parse(strings.TrimSpace(server))
	if err != nil {
		return fmt.Errorf("server URL %q: %w", server, err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return fmt.Errorf("server URL %q: no host", server)
		}
		return nil
	case "nats", "tls", "ws", "wss":
		return fmt.Errorf("server URL %q is a NATS URL: nodes now join through the server's REST URL "+
			"(--server http://HOST:PORT) with an enrollment token (shrike source token create) and "+
			"get their own credentials, which hold the NATS URL (override it with --nats)", server)
	default:
		return fmt.Errorf("server URL %q: want http://HOST:PORT or https://HOST:PORT", server)
	}
}

// Join trades an enrollment token for this node's own credentials at the
// server's REST URL (`POST /api/v1/nodes/join`, no login needed). name is
// the node name wanted. The credentials' Server is set to serverURL when
// the server leaves it empty. A refused token is an error wrapping
// ErrBadToken.
func Join(ctx context.Context, serverURL, token, name string) (api.NodeCredentials, error) {
	var errs []error
	if err := CheckServerURL(serverURL); err != nil {
		errs = append(errs, err)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		errs = append(errs, errors.New("enrollment token: missing (--token-file, --token or SHRIKE_NODE_TOKEN)"))
	}
	if err := api.ValidateNodeName(name); err != nil {
		errs = append(errs, fmt.Errorf("node name: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return api.NodeCredentials{}, fmt.Errorf("join: %w", permanentError{err})
	}
	client := api.NewClient(serverURL, "")
	c, err := client.JoinNode(ctx, api.JoinRequest{Token: token, Name: name})
	if err != nil {
		switch api.CodeOf(err) {
		case api.CodeBadToken, api.CodeUnauthorized, api.CodeForbidden:
			return c, fmt.Errorf("join %s as %s: %w: %w", client.Addr(), name, ErrBadToken, err)
		}
		return c, fmt.Errorf("join %s as %s: %w", client.Addr(), name, err)
	}
	if c.Server == "" {
		c.Server = client.Addr()
	}
	if err := checkCredentials(c); err != nil {
		return c, fmt.Errorf("join %s: the server's answer: %w", client.Addr(), permanentError{err})
	}
	if c.Name != name {
		return c, fmt.Errorf("join %s: %w", client.Addr(),
			permanentError{fmt.Errorf("asked for node name %s, the server answered %s", name, c.Name)})
	}
	return c, nil
}

// permanentError marks a Join failure that retrying cannot fix and that
// carries no API error code: bad input, or a bad answer.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// JoinRetryable reports whether a Join error may go away by itself (the
// server cannot be reached or is unavailable), as opposed to a refused
// token, a bad request or a bad answer, which retrying cannot fix.
func JoinRetryable(err error) bool {
	if errors.As(err, new(permanentError)) || errors.Is(err, ErrBadToken) {
		return false
	}
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		return true // no answer at all: connection refused, timeout
	}
	switch apiErr.Code {
	case api.CodeUnavailable, api.CodeInternal:
		return true
	}
	return false
}
