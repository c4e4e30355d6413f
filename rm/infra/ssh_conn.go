package infra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// run runs script with sh on the host at addr, feeding it stdin, and
// returns its stdout. One connection per call: nothing to keep alive.
func (s *sshInfra) run(ctx context.Context, addr, script string, stdin []byte) (string, error) {
	client, err := s.dial(ctx, addr)
	if err != nil {
		return "", err
	}
	defer client.Close()
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()
	sess, err := client.NewSession()
	if err != nil {
		return "", fmt.Errorf("ssh session on %s: %w", addr, err)
	}
	defer sess.Close()
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	if stdin != nil {
		sess.Stdin = bytes.NewReader(stdin)
	}
	// sh, whatever the user's login shell is.
	if err := sess.Run("sh -c " + shellQuote(script)); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if msg := tailLines(stderr.String(), logTailLines); msg != "" {
			return "", fmt.Errorf("on %s: %w: %s", addr, err, msg)
		}
		return "", fmt.Errorf("on %s: %w", addr, err)
	}
	return stdout.String(), nil
}

// dial connects and logs in to addr within the connect timeout.
func (s *sshInfra) dial(ctx context.Context, addr string) (*ssh.Client, error) {
	d := net.Dialer{Timeout: s.timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	_ = conn.SetDeadline(time.Now().Add(s.timeout)) // for the handshake and login
	cfg := &ssh.ClientConfig{
		User:              s.user,
		Auth:              s.auth,
		HostKeyCallback:   s.hostKeys.callback(),
		HostKeyAlgorithms: s.hostKeys.algorithms(addr, conn.RemoteAddr()),
		Timeout:           s.timeout,
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("ssh to %s as %s: %w", addr, s.user, trimSSHError(err))
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// trimSSHError drops the "ssh: handshake failed: " prefix the library
// puts before the reason.
func trimSSHError(err error) error {
	if inner := errors.Unwrap(err); inner != nil && strings.HasPrefix(err.Error(), "ssh: handshake failed: ") {
		return inner
	}
	return err
}

func (s *sshInfra) logger() *slog.Logger {
	if s.env.Logger != nil {
		return s.env.Logger
	}
	return slog.New(slog.DiscardHandler)
}
