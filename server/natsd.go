package server

import (
	"crypto/subtle"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	natsd "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
)

// internalUser is the NATS user of the server's own in-process connection.
const internalUser = "$shrike-server"

// nodeAuth authenticates every NATS client. The server's own connection
// presents a per-process secret; a node presents its name as the user and
// its own secret (from its credentials, see JoinNode) as the password, and
// is confined to its own subjects: it may publish only on
// shrike.node.<name>.> (registration included), and subscribe only to its
// command subject and its own reply inbox, so it can neither impersonate
// another node nor read other nodes' commands. Revoking a node's
// credentials (revoke) refuses its next connection; the server also
// disconnects the current one.
type nodeAuth struct {
	internalSecret string

	mu    sync.RWMutex
	creds map[string]string // node name → hashToken(secret)
}

var _ natsd.Authentication = (*nodeAuth)(nil)

// set records (or replaces) a node's secret hash.
func (a *nodeAuth) set(node, secretHash string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.creds == nil {
		a.creds = make(map[string]string)
	}
	a.creds[node] = secretHash
}

// revoke forgets a node's credentials.
func (a *nodeAuth) revoke(node string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.creds, node)
}

// Check implements natsd.Authentication.
func (a *nodeAuth) Check(c natsd.ClientAuthentication) bool {
	opts := c.GetOpts()
	if opts == nil {
		return false
	}
	if opts.Username == internalUser {
		if subtle.ConstantTimeCompare([]byte(opts.Password), []byte(a.internalSecret)) != 1 {
			return false
		}
		c.RegisterUser(&natsd.User{Username: internalUser})
		return true
	}
	if api.ValidateNodeName(opts.Username) != nil {
		return false
	}
	a.mu.RLock()
	want, ok := a.creds[opts.Username]
	a.mu.RUnlock()
	if !ok || subtle.ConstantTimeCompare([]byte(hashToken(opts.Password)), []byte(want)) != 1 {
		return false
	}
	name := opts.Username
	c.RegisterUser(&natsd.User{
		Username: name,
		Permissions: &natsd.Permissions{
			Publish: &natsd.SubjectPermission{
				Allow: []string{api.NodeSubjects(name)},
			},
			Subscribe: &natsd.SubjectPermission{
				Allow: []string{api.SubjectCommand(name), api.InboxPrefix(name) + ".>"},
			},
			Response: &natsd.ResponsePermission{MaxMsgs: 1, Expires: time.Minute},
		},
	})
	return true
}

// disconnectNode closes every NATS connection of node name (after its
// credentials were revoked).
func disconnectNode(ns *natsd.Server, name string) int {
	cz, err := ns.Connz(&natsd.ConnzOptions{User: name, Username: true, Limit: 1024})
	if err != nil {
		return 0
	}
	n := 0
	for _, ci := range cz.Conns {
		if ci.AuthorizedUser == name && ns.DisconnectClientByID(ci.Cid) == nil {
			n++
		}
	}
	return n
}

// startNATS starts the embedded NATS server with JetStream under dataDir.
func startNATS(listen, dataDir string, auth *nodeAuth) (*natsd.Server, error) {
	host, portStr, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("nats listen address %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("nats listen port %q: %w", portStr, err)
	}
	if port == 0 {
		port = natsd.RANDOM_PORT
	}
	opts := &natsd.Options{
		ServerName:                 "shrike",
		Host:                       host,
		Port:                       port,
		JetStream:                  true,
		StoreDir:                   filepath.Join(dataDir, "jetstream"),
		NoSigs:                     true,
		NoLog:                      true,
		MaxPayload:                 8 << 20,
		CustomClientAuthentication: auth,
	}
	ns, err := natsd.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("nats: not ready to accept connections on %s", listen)
	}
	return ns, nil
}

// connectInternal opens the server's own in-process NATS connection.
func connectInternal(ns *natsd.Server, secret string) (*nats.Conn, error) {
	return nats.Connect("", nats.InProcessServer(ns), nats.UserInfo(internalUser, secret),
		nats.Name("shrike-server"), nats.MaxReconnects(-1))
}
