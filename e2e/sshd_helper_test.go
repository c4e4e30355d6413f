package e2e

import (
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

// startSSHD starts sshd with its own host key, config and authorized key,
// and stops it when the test ends. Without sshd or ssh-keygen the test is
// skipped, except in CI (CI=true), which must run it
// (hack/test-deps-ssh.sh installs them).
func startSSHD(t *testing.T) *sshd {
	t.Helper()
	bin, err := exec.LookPath("sshd")
	if err != nil {
		bin, err = exec.LookPath("/usr/sbin/sshd")
	}
	keygen, kerr := exec.LookPath("ssh-keygen")
	if err != nil || kerr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("sshd or ssh-keygen is not installed; run hack/test-deps-ssh.sh")
		}
		t.Skip("sshd or ssh-keygen is not installed (hack/test-deps-ssh.sh installs them)")
	}
	if bin, err = filepath.Abs(bin); err != nil { // sshd re-executes itself by its path
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
	hostKey, clientKey := filepath.Join(dir, "host_ed25519"), filepath.Join(dir, "client_ed25519")
	for _, k := range []string{hostKey, clientKey} {
		if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "shrike-e2e", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	read := func(path string) string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	port := freePort(t)
	config := fmt.Sprintf(`ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PidFile %s
PermitRootLogin yes
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
`, hostKey, clientKey+".pub", filepath.Join(dir, "sshd.pid"))
	cfgFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(cfgFile, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "sshd.log")
	logF, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logF.Close()
	cmd := exec.Command(bin, "-D", "-e", "-f", cfgFile, "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logF, logF
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("==== sshd.log ====\n%s", read(logPath))
		}
	})
	s := &sshd{
		port: port, user: me.Username, privateKey: read(clientKey),
		knownHosts: fmt.Sprintf("[127.0.0.1]:%d %s", port, strings.TrimSpace(read(hostKey+".pub"))),
	}
	waitFor(t, 10*time.Second, "sshd to listen", func() bool {
		select {
		case <-exited:
			t.Fatalf("sshd exited: %s", read(logPath))
		default:
		}
		c, err := net.Dial("tcp", s.addr())
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return s
}
