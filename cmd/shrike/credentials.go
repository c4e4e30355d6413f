package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/shrike-grid/shrike/api"
)

// Environment variables the client commands read.
const (
	envAddr        = "SHRIKE_ADDR"
	envToken       = "SHRIKE_TOKEN"
	envPassword    = "SHRIKE_PASSWORD"
	envNewPassword = "SHRIKE_NEW_PASSWORD"
)

// credentials is what `shrike login` saves, in
// os.UserConfigDir()/shrike/credentials.json (mode 0600, directory 0700).
type credentials struct {
	Server string `json:"server"`
	User   string `json:"user"`
	Token  string `json:"token"`
}

// credentialsPath is where the credentials file lives.
func credentialsPath(e *env) (string, error) {
	dir, err := e.configDir()
	if err != nil {
		return "", fmt.Errorf("finding the config directory: %w", err)
	}
	return filepath.Join(dir, "shrike", "credentials.json"), nil
}

// loadCredentials reads the credentials file; a missing file is empty.
func loadCredentials(e *env) (credentials, error) {
	var c credentials
	path, err := credentialsPath(e)
	if err != nil {
		return c, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("reading credentials: %w", err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("reading credentials %s: %w (run shrike login again)", path, err)
	}
	return c, nil
}

// saveCredentials writes the credentials file atomically, readable by its
// owner only.
func saveCredentials(e *env, c credentials) error {
	path, err := credentialsPath(e)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err = os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	if err = os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	data, _ := json.MarshalIndent(c, "", "  ")
	tmp, err := os.CreateTemp(dir, ".credentials-*.json") // mode 0600
	if err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("saving credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving credentials: %w", err)
	}
	return nil
}

// target is the server a client command talks to and the token it uses.
type target struct {
	server string
	token  string
}

// resolveTarget picks the server (--server flag, then $SHRIKE_ADDR, then
// the credentials file) and the token ($SHRIKE_TOKEN, then the credentials
// file). The saved token is only sent to the server it was issued by.
func resolveTarget(e *env, serverFlag string) (target, error) {
	creds, err := loadCredentials(e)
	if err != nil {
		return target{}, err
	}
	t := target{server: firstOf(serverFlag, e.getenv(envAddr), creds.Server)}
	if t.server == "" {
		return t, usageErrorf("no server: pass --server URL, set %s, or run shrike login", envAddr)
	}
	t.server = normalizeAddr(t.server)
	t.token = e.getenv(envToken)
	if t.token == "" && creds.Server != "" && normalizeAddr(creds.Server) == t.server {
		t.token = creds.Token
	}
	if t.token == "" {
		return t, fmt.Errorf("not logged in to %s: run shrike login or set %s", t.server, envToken)
	}
	return t, nil
}

// newClient returns the API client of a client command.
func newClient(e *env, serverFlag string) (*api.Client, error) {
	t, err := resolveTarget(e, serverFlag)
	if err != nil {
		return nil, err
	}
	return api.NewClient(t.server, t.token), nil
}

// normalizeAddr writes a server address the way the client uses it.
func normalizeAddr(addr string) string { return api.NewClient(addr, "").Addr() }

// firstOf returns the first non-empty value.
func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
