package infra

import (
	"testing"

	"github.com/shrike-grid/shrike/internal/sshdtest"
)

// testSSHD is a real OpenSSH server the test started on 127.0.0.1, which
// lets the test's user in with the test's key.
type testSSHD struct {
	addr       string // "127.0.0.1:PORT"
	user       string
	privateKey string // PEM
	knownHosts string // the line for addr
}

// startSSHD starts sshd (internal/sshdtest): skipped without sshd, except
// in CI (CI=true), which must run it (hack/test-deps-ssh.sh installs it).
func startSSHD(t *testing.T) *testSSHD {
	t.Helper()
	s := sshdtest.Start(t)
	return &testSSHD{addr: s.Addr, user: s.User, privateKey: s.PrivateKey, knownHosts: s.KnownHosts}
}

// newClientKey returns a new private key (PEM) and its authorized_keys
// line.
func newClientKey(t *testing.T) (privPEM, authorized []byte) { return sshdtest.NewClientKey(t) }

func freePort(t *testing.T) int { return sshdtest.FreePort(t) }
