package e2e

import (
	"net"
	"strconv"
	"testing"

	"github.com/shrike-grid/shrike/internal/sshdtest"
)

// sshd is a real OpenSSH server the test started on 127.0.0.1. It lets
// the test's user in with a key pair the test made, as a user would set
// up a host for an ssh node source.
type sshd struct {
	port       int
	user       string
	privateKey string // OpenSSH format, no passphrase
	knownHosts string // the known_hosts line of [127.0.0.1]:port
}

// addr is "127.0.0.1:PORT".
func (s *sshd) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// startSSHD starts sshd (internal/sshdtest) and stops it when the test
// ends. Without sshd or ssh-keygen the test is skipped, except in CI
// (CI=true), which must run it (hack/test-deps-ssh.sh installs them).
func startSSHD(t *testing.T) *sshd {
	t.Helper()
	s := sshdtest.Start(t)
	return &sshd{port: s.Port, user: s.User, privateKey: s.PrivateKey, knownHosts: s.KnownHosts}
}
