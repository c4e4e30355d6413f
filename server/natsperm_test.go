package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// asyncErrs collects the asynchronous errors NATS reports on a connection
// (permission violations arrive this way, not as return values).
type asyncErrs struct {
	mu   sync.Mutex
	errs []error
}

func (e *asyncErrs) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

func (e *asyncErrs) all() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.errs...)
}

// has reports whether a permission violation naming `kind to "subject"`
// was reported (kind is "Subscription" or "Publish").
func (e *asyncErrs) has(kind, subject string) bool {
	want := fmt.Sprintf("%s to %q", kind, subject)
	for _, err := range e.all() {
		if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), want) {
			return true
		}
	}
	return false
}

// waitViolation fails the test unless the server refuses kind on subject.
func (e *asyncErrs) waitViolation(t *testing.T, kind, subject string) {
	t.Helper()
	waitUntil(t, 2*time.Second, fmt.Sprintf("permission violation for %s to %q (got %v)", kind, subject, e.all()),
		func() bool { return e.has(kind, subject) })
}

// dialNode connects to the server as NATS user `user` with password
// token, the way a node agent does, without reconnecting.
func dialNode(url, user, token string, errs *asyncErrs, inbox bool) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.UserInfo(user, token),
		nats.NoReconnect(),
		nats.Timeout(2 * time.Second),
	}
	if inbox {
		opts = append(opts, nats.CustomInboxPrefix(api.InboxPrefix(user)))
	}
	if errs != nil {
		opts = append(opts, nats.ErrorHandler(errs.handler))
	}
	return nats.Connect(url, opts...)
}

// startBareServer runs a server with no node agents; it stops when the
// test ends and must stop cleanly.
func startBareServer(t *testing.T) *Server {
	t.Helper()
	srv, err := New(TestConfig(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server shutdown: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return srv
}

// TestNATSNodeConfinement checks, against the embedded NATS server, that a
// node authenticates with its name and the enrollment token and can use
// only its own subjects, the registration subject and its own inbox.
func TestNATSNodeConfinement(t *testing.T) {
	srv := startBareServer(t)
	url := srv.NATSURL()
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	cred, err := srv.EnrollLocal(context.Background(), "n1")
	if err != nil {
		t.Fatal(err)
	}
	token := cred.Secret
	cred2, err := srv.EnrollLocal(context.Background(), "n2")
	if err != nil {
		t.Fatal(err)
	}

	errs := &asyncErrs{}
	n1, err := dialNode(url, "n1", token, errs, true)
	if err != nil {
		t.Fatalf("n1 with the right token: %v", err)
	}
	t.Cleanup(n1.Close)

	t.Run("own command subject", func(t *testing.T) {
		sub, err := n1.SubscribeSync(api.SubjectCommand("n1"))
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = sub.Unsubscribe() }()
		if err := n1.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := srv.nc.Publish(api.SubjectCommand("n1"), []byte("{}")); err != nil {
			t.Fatal(err)
		}
		if _, err := sub.NextMsg(2 * time.Second); err != nil {
			t.Fatalf("n1 did not receive its own command: %v", err)
		}
		if errs.has("Subscription", api.SubjectCommand("n1")) {
			t.Fatal("subscription to its own command subject was refused")
		}
	})

	t.Run("wrong credentials", func(t *testing.T) {
		for _, c := range []struct{ user, pass string }{
			{"n1", token + "x"},
			{"n1", ""},
			{"n2", token},           // another node's secret: no impersonation
			{"n1", cred2.Secret},    // nor the other way round
			{"n1", srv.NodeToken()}, // the enrollment token is not a node credential
			{"n3", srv.NodeToken()}, // nor a way in for a new name
			{"n2", strings.ToUpper(cred2.Secret)},
			{internalUser, token},
		} {
			nc, err := dialNode(url, c.user, c.pass, nil, false)
			if err == nil {
				nc.Close()
				t.Errorf("user %q with a wrong password connected", c.user)
				continue
			}
			if !errors.Is(err, nats.ErrAuthorization) {
				t.Errorf("user %q with a wrong password: got %v, want an authorization violation", c.user, err)
			}
		}
	})

	t.Run("invalid node names", func(t *testing.T) {
		for _, name := range []string{"a.b", "*", ">", "n1.>", "", "-n", "a b", strings.Repeat("a", 64)} {
			nc, err := dialNode(url, name, token, nil, false)
			if err == nil {
				nc.Close()
				t.Errorf("node name %q connected", name)
				continue
			}
			if !errors.Is(err, nats.ErrAuthorization) {
				t.Errorf("node name %q: got %v, want an authorization violation", name, err)
			}
		}
	})

	t.Run("foreign subscriptions refused", func(t *testing.T) {
		// subject to subscribe to → a subject the server publishes that it
		// would match
		cases := []struct{ sub, pub string }{
			{api.SubjectCommand("n2"), api.SubjectCommand("n2")},
			{api.NodeSubjects("n2"), api.SubjectHeartbeat("n2")},
			{api.SubjectEvents + ".>", api.SubjectEvents + ".node"},
			{"_INBOX.>", "_INBOX.abc.def"},
		}
		subs := make([]*nats.Subscription, len(cases))
		for i, c := range cases {
			sub, err := n1.SubscribeSync(c.sub)
			if err != nil {
				t.Fatal(err)
			}
			subs[i] = sub
		}
		for _, c := range cases {
			errs.waitViolation(t, "Subscription", c.sub)
		}
		// Nothing reaches the refused subscriptions: once the server has
		// handled the publishes and answered n1's PING, anything routed
		// to n1 would already be queued on its side.
		for _, c := range cases {
			if err := srv.nc.Publish(c.pub, []byte("{}")); err != nil {
				t.Fatal(err)
			}
		}
		if err := srv.nc.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := n1.Flush(); err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			if _, err := subs[i].NextMsg(50 * time.Millisecond); !errors.Is(err, nats.ErrTimeout) {
				t.Errorf("refused subscription %q received %q (err %v)", c.sub, c.pub, err)
			}
			_ = subs[i].Unsubscribe()
		}
	})

	t.Run("foreign publishes refused", func(t *testing.T) {
		hb, _ := json.Marshal(api.Heartbeat{Name: "n2", Instance: "x"})
		report, _ := json.Marshal(api.ReportBatch{Name: "n2", Results: []api.TaskResult{{TaskRef: api.TaskRef{TaskID: 1, Attempt: 1}, Outcome: api.OutcomeSucceeded}}})
		reg2, _ := json.Marshal(api.RegisterRequest{Name: "n2", Instance: "x", Facts: api.NodeFacts{CPUs: 64, Slots: 64}})
		for subject, data := range map[string][]byte{
			api.SubjectRegister("n2"):        reg2,
			api.SubjectHeartbeat("n2"):       hb,
			api.SubjectReport("n2"):          report,
			api.SubjectLog("n2"):             []byte("{}"),
			api.SubjectCommand("n2"):         []byte("{}"),
			api.SubjectEvents + ".node":      []byte("{}"),
			"$JS.API.STREAM.DELETE.EVENTS":   nil,
			"_INBOX_n2.someone.elses.answer": []byte("{}"),
		} {
			if err := n1.Publish(subject, data); err != nil {
				t.Fatal(err)
			}
			errs.waitViolation(t, "Publish", subject)
		}
		nodes, err := srv.ListNodes(context.Background(), admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			if n.Name == "n2" {
				t.Fatalf("a refused publish changed the server's state: node n2 is known (%+v)", n)
			}
		}
	})

	t.Run("registering under another name on its own subject refused", func(t *testing.T) {
		req, _ := json.Marshal(api.RegisterRequest{Name: "n2", Instance: "x", Facts: api.NodeFacts{CPUs: 64, Slots: 64}})
		msg, err := n1.Request(api.SubjectRegister("n1"), req, 2*time.Second)
		if err != nil {
			t.Fatalf("register request: %v", err)
		}
		var reg api.RegisterReply
		if err := json.Unmarshal(msg.Data, &reg); err != nil || reg.Error == nil || reg.Error.Code != api.CodeForbidden {
			t.Fatalf("register as n2 from n1: reply %s, want forbidden", msg.Data)
		}
		nodes, _ := srv.ListNodes(context.Background(), admin)
		for _, n := range nodes {
			if n.Name == "n2" {
				t.Fatalf("n1 registered as n2: %+v", n)
			}
		}
	})

	t.Run("registration and own heartbeat allowed", func(t *testing.T) {
		before := len(errs.all())
		req, _ := json.Marshal(api.RegisterRequest{Name: "n1", Instance: "i1", Facts: api.NodeFacts{CPUs: 1, Slots: 1}})
		msg, err := n1.Request(api.SubjectRegister("n1"), req, 2*time.Second)
		if err != nil {
			t.Fatalf("register request: %v", err)
		}
		var reg api.RegisterReply
		if err := json.Unmarshal(msg.Data, &reg); err != nil || reg.Error != nil || reg.NodeID != "n1" {
			t.Fatalf("register reply %s (decode err %v)", msg.Data, err)
		}
		hb, _ := json.Marshal(api.Heartbeat{Name: "n1", Instance: "i1", Seq: 1})
		msg, err = n1.Request(api.SubjectHeartbeat("n1"), hb, 2*time.Second)
		if err != nil {
			t.Fatalf("heartbeat request: %v", err)
		}
		var hbr api.HeartbeatReply
		if err := json.Unmarshal(msg.Data, &hbr); err != nil || hbr.Error != nil || hbr.Reregister {
			t.Fatalf("heartbeat reply %s (decode err %v)", msg.Data, err)
		}
		if err := n1.Publish(api.SubjectHeartbeat("n1"), hb); err != nil {
			t.Fatal(err)
		}
		if err := n1.Flush(); err != nil {
			t.Fatal(err)
		}
		if after := errs.all(); len(after) != before {
			t.Fatalf("allowed operations reported errors: %v", after[before:])
		}
		nodes, err := srv.ListNodes(context.Background(), admin)
		if err != nil {
			t.Fatal(err)
		}
		if len(nodes) != 1 || nodes[0].Name != "n1" {
			t.Fatalf("nodes after n1 registered: %+v", nodes)
		}
	})

	t.Run("removing a node revokes its credentials and disconnects it at once", func(t *testing.T) {
		closed := make(chan struct{})
		n1.SetClosedHandler(func(*nats.Conn) { close(closed) })
		n1.SetReconnectHandler(func(*nats.Conn) { t.Error("a revoked node reconnected") })
		if err := srv.RemoveNode(context.Background(), admin, "n1", true); err != nil {
			t.Fatal(err)
		}
		// The connection drops now; the client's reconnects are refused,
		// so it ends up closed.
		select {
		case <-closed:
		case <-time.After(20 * time.Second):
			t.Fatalf("n1 still connected after its removal (status %v)", n1.Status())
		}
		if nc, err := dialNode(url, "n1", token, nil, false); err == nil {
			nc.Close()
			t.Fatal("n1 connected again with its revoked secret")
		}
		if nc, err := dialNode(url, "n2", cred2.Secret, nil, false); err != nil {
			t.Fatalf("n2 refused after n1's revocation: %v", err)
		} else {
			nc.Close()
		}
	})
}
