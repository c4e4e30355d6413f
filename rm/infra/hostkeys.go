package infra

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeys decides which host keys the ssh infrastructure trusts: those
// of its known_hosts lines, or, when insecure, any.
type hostKeys struct {
	insecure bool
	check    ssh.HostKeyCallback
}

// parseKnownHosts reads known_hosts lines (hashed names, patterns and
// markers as OpenSSH has them), reporting the first bad line by number.
func parseKnownHosts(text string) (*hostKeys, error) {
	n := 0
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if _, _, _, _, _, err := ssh.ParseKnownHosts([]byte(line)); err != nil {
			return nil, fmt.Errorf("line %d is not a known_hosts line (%v)", i+1, err)
		}
		n++
	}
	if n == 0 {
		return nil, errors.New("holds no host key")
	}
	// knownhosts reads files only; it reads them whole at once.
	f, err := os.CreateTemp("", "shrike-known-hosts-*")
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	check, err := knownhosts.New(f.Name())
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	return &hostKeys{check: check}, nil
}

// callback checks a host's key, with errors that say what to do.
func (h *hostKeys) callback() ssh.HostKeyCallback {
	if h.insecure {
		return ssh.InsecureIgnoreHostKey()
	}
	return func(host string, remote net.Addr, key ssh.PublicKey) error {
		err := h.check(host, remote, key)
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &ke) && len(ke.Want) == 0:
			return fmt.Errorf("host key of %s is not in known_hosts (the host offers %s %s; add it, e.g. from `ssh-keyscan`)",
				host, key.Type(), ssh.FingerprintSHA256(key))
		case errors.As(err, &ke):
			return fmt.Errorf("host key of %s does not match known_hosts: the host offers %s %s (the host was reinstalled, or someone is intercepting the connection)",
				host, key.Type(), ssh.FingerprintSHA256(key))
		case errors.As(err, &re):
			return fmt.Errorf("host key of %s is revoked in known_hosts", host)
		}
		return err
	}
}

// probeKey is a key no host has: checking it yields the keys known for a
// host.
var probeKey, _ = ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))

// algorithms returns the host key algorithms to ask host for: those of
// its known keys, so that a host with several keys shows the one known
// (nil: any).
func (h *hostKeys) algorithms(host string, remote net.Addr) []string {
	if h.insecure {
		return nil
	}
	var ke *knownhosts.KeyError
	if !errors.As(h.check(host, remote, probeKey), &ke) {
		return nil
	}
	var algos []string
	for _, k := range ke.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			algos = append(algos, t)
		}
	}
	return algos
}
