// Package sshdtest starts a real OpenSSH server on 127.0.0.1 for tests
// (the ssh infrastructure's and the end-to-end ones): its own host key,
// config and authorized key, stopped when the test ends.
package sshdtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Server is a real OpenSSH server the test started on 127.0.0.1, which
// lets the test's user in with the test's key.
type Server struct {
	Addr       string // "127.0.0.1:PORT"
	Port       int
	User       string
	PrivateKey string // PEM (OpenSSH format), no passphrase
	KnownHosts string // the known_hosts line of [127.0.0.1]:PORT
}

// Start starts sshd with its own host key, authorized key and
// config. Without sshd the test is skipped, except in CI (CI=true),
// which must run it (hack/test-deps-ssh.sh installs it).
func Start(t testing.TB) *Server {
	t.Helper()
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd, err = exec.LookPath("/usr/sbin/sshd")
	}
	keygen, kerr := exec.LookPath("ssh-keygen")
	if err != nil || kerr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("sshd or ssh-keygen is not installed; run hack/test-deps-ssh.sh")
		}
		t.Skip("sshd or ssh-keygen is not installed (hack/test-deps-ssh.sh installs them)")
	}
	if sshd, err = filepath.Abs(sshd); err != nil { // sshd re-executes itself by its path
		t.Fatal(err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if me.Uid == "0" { // sshd running as root wants its privilege separation directory
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	hostKey := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	hostPub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	privPEM, authorized := NewClientKey(t)
	authFile := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authFile, authorized, 0o600); err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	config := fmt.Sprintf(`ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PidFile %s
PermitRootLogin yes
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
`, hostKey, authFile, filepath.Join(dir, "sshd.pid"))
	cfgFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(sshd, "-D", "-e", "-f", cfgFile, "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			t.Logf("sshd log:\n%s", log)
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for !func() bool {
		select {
		case <-exited:
			log, _ := os.ReadFile(logFile.Name())
			t.Fatalf("sshd exited: %s", log)
		default:
		}
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}() {
		if time.Now().After(deadline) {
			t.Fatal("sshd did not listen within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &Server{
		Addr: addr, Port: port, User: me.Username, PrivateKey: string(privPEM),
		KnownHosts: fmt.Sprintf("[127.0.0.1]:%d %s", port, strings.TrimSpace(string(hostPub))),
	}
}

// NewClientKey returns a new private key (PEM) and its authorized_keys
// line.
func NewClientKey(t testing.TB) (privPEM, authorized []byte) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "test")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block), ssh.MarshalAuthorizedKey(sshPub)
}

// FreePort is a loopback TCP port nothing listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
