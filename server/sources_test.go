package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// runServer runs a server on dataDir until the test ends (or stop is
// called) and returns it.
func runServer(t *testing.T, cfg Config) (srv *Server, stop func()) {
	t.Helper()
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not stop")
		}
	}
	t.Cleanup(stop)
	return srv, stop
}

func fieldsOf(err error) map[string]string {
	out := map[string]string{}
	var e *api.Error
	if ae, ok := err.(*api.Error); ok {
		e = ae
	}
	if e == nil {
		return out
	}
	for _, f := range e.Errors {
		out[f.Field] = f.Message
	}
	return out
}

func TestSourceValidationReportsEverything(t *testing.T) {
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	_, err := srv.CreateSource(ctx, admin, api.NodeSourceSpec{
		Name:           "bad name!",
		Infrastructure: api.PluginSpec{Type: "ssh", Params: map[string]string{"hosts": "h1", "password": "hunter22", "port": "many", "colour": "red"}},
		Policy:         api.PluginSpec{Type: "elastik"},
		Access:         api.SourceAccess{Use: []string{"everyone"}, Admin: []string{"*"}},
		NodeTokens:     []string{"ok", "not ok"},
	})
	if !api.IsCode(err, api.CodeInvalid) {
		t.Fatalf("want an invalid-input error, got %v", err)
	}
	got := fieldsOf(err)
	for _, field := range []string{"name", "infrastructure.params.user", "infrastructure.params.port", "infrastructure.params.colour",
		"policy.kind", "access.use[0]", "access.admin[0]", "node_tokens[1]"} {
		if _, ok := got[field]; !ok && !hasPrefixKey(got, field) {
			t.Errorf("no error on %s; got %v", field, got)
		}
	}
	if strings.Contains(err.Error(), "hunter22") {
		t.Errorf("a secret was quoted in an error: %v", err)
	}
	if list, _ := srv.ListSources(ctx, admin); len(list) != 1 || list[0].Name != DefaultSource {
		t.Fatalf("a refused source changed the list: %+v", list)
	}
}

// hasPrefixKey accepts "policy.type" for "policy.kind" and the like: the
// field names of kinds are the packages' own.
func hasPrefixKey(m map[string]string, field string) bool {
	prefix := field[:strings.LastIndex(field, ".")+1]
	if prefix == "" {
		return false
	}
	for k := range m {
		if strings.HasPrefix(k, prefix) && !strings.Contains(k[len(prefix):], "params") {
			return true
		}
	}
	return false
}

func TestSourcesSurviveRestartAndRedactSecrets(t *testing.T) {
	dir := t.TempDir()
	cfg := TestConfig(dir)
	srv, stop := runServer(t, cfg)
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	spec := api.NodeSourceSpec{
		Name:           "lab",
		Infrastructure: api.PluginSpec{Type: "ssh", Params: map[string]string{"hosts": "10.0.0.1,10.0.0.2", "user": "grid", "password": "hunter22", "insecure_ignore_host_key": "true"}},
		Policy:         api.PluginSpec{Type: "static"},
		Access:         api.SourceAccess{Use: []string{"group:physics"}},
		NodeTokens:     []string{"lab"},
	}
	created, err := srv.CreateSource(ctx, admin, spec)
	if err != nil {
		t.Fatal(err)
	}
	if created.Infrastructure.Params["password"] != "******" || created.Status != api.SourceUndeployed {
		t.Fatalf("created view: %+v", created)
	}
	if _, err := srv.CreateSource(ctx, admin, spec); !api.IsCode(err, api.CodeConflict) {
		t.Fatalf("second create: %v, want conflict", err)
	}
	// An update that sends the redacted value back keeps the secret.
	upd, err := srv.UpdateSource(ctx, admin, "lab", api.NodeSourceUpdate{InfrastructureParams: map[string]string{"password": "******", "user": "grid2"}})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Infrastructure.Params["user"] != "grid2" {
		t.Fatalf("update not applied: %+v", upd.Infrastructure.Params)
	}
	tok, err := srv.CreateEnrollToken(ctx, admin, "lab", api.EnrollTokenRequest{OneTime: true, TTL: api.Duration(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	stop()

	srv2, _ := runServer(t, cfg)
	got, err := srv2.GetSource(ctx, admin, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if got.Infrastructure.Params["user"] != "grid2" || got.Infrastructure.Params["password"] != "******" ||
		strings.Join(got.Access.Use, ",") != "group:physics" || strings.Join(got.Access.Admin, ",") != "user:admin" {
		t.Fatalf("after restart: %+v", got)
	}
	srv2.mu.Lock()
	pw := srv2.sources["lab"].spec.Infrastructure.Params["password"]
	srv2.mu.Unlock()
	if pw != "hunter22" {
		t.Fatalf("the stored secret was lost: %q", pw)
	}
	// The one-time token survives the restart and is spent by one join.
	if _, err := srv2.JoinNode(ctx, api.JoinRequest{Token: tok.Token, Name: "w1"}, srv2.URL()); err != nil {
		t.Fatalf("join with the token after restart: %v", err)
	}
	if _, err := srv2.JoinNode(ctx, api.JoinRequest{Token: tok.Token, Name: "w2"}, srv2.URL()); !api.IsCode(err, api.CodeUnauthorized) {
		t.Fatalf("second join with a one-time token: %v, want unauthorized", err)
	}
}

func TestEnrollmentTokens(t *testing.T) {
	srv, _ := runServer(t, TestConfig(t.TempDir()))
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	alice := rest.Principal{Name: "alice", Role: api.RoleUser}
	ctx := context.Background()
	if _, err := srv.CreateSource(ctx, admin, api.NodeSourceSpec{Name: "ws", Infrastructure: api.PluginSpec{Type: "enroll"},
		Policy: api.PluginSpec{Type: "static"}, Access: api.SourceAccess{Admin: []string{"user:bob"}}, Deploy: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CreateEnrollToken(ctx, alice, "ws", api.EnrollTokenRequest{}); !api.IsCode(err, api.CodeForbidden) {
		t.Fatalf("token by a non-administrator: %v, want forbidden", err)
	}
	bob := rest.Principal{Name: "bob", Role: api.RoleUser}
	reusable, err := srv.CreateEnrollToken(ctx, bob, "ws", api.EnrollTokenRequest{Description: "lab machines"})
	if err != nil {
		t.Fatalf("token by the source's administrator: %v", err)
	}
	expiring, err := srv.CreateEnrollToken(ctx, bob, "ws", api.EnrollTokenRequest{TTL: api.Duration(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"pc1", "pc2"} {
		cred, err := srv.JoinNode(ctx, api.JoinRequest{Token: reusable.Token, Name: name}, "http://x")
		if err != nil {
			t.Fatalf("join %d: %v", i, err)
		}
		if cred.Source != "ws" || cred.Secret == "" || cred.NATSURL != srv.NATSURL() || cred.Name != name {
			t.Fatalf("credentials: %+v", cred)
		}
	}
	if _, err := srv.JoinNode(ctx, api.JoinRequest{Token: reusable.Token, Name: "pc1"}, ""); !api.IsCode(err, api.CodeConflict) {
		t.Fatalf("join with a taken name: %v, want conflict", err)
	}
	if _, err := srv.JoinNode(ctx, api.JoinRequest{Token: reusable.Token, Name: "bad.name"}, ""); !api.IsCode(err, api.CodeInvalid) {
		t.Fatalf("join with a bad name: %v, want invalid", err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := srv.JoinNode(ctx, api.JoinRequest{Token: expiring.Token, Name: "pc3"}, ""); !api.IsCode(err, api.CodeUnauthorized) {
		t.Fatalf("join with an expired token: %v, want unauthorized", err)
	}
	toks, err := srv.ListEnrollTokens(ctx, bob, "ws")
	if err != nil || len(toks) != 2 || toks[0].Uses != 2 || toks[0].Token != "" {
		t.Fatalf("tokens: %+v (%v)", toks, err)
	}
	if err := srv.RevokeEnrollToken(ctx, bob, "ws", reusable.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.JoinNode(ctx, api.JoinRequest{Token: reusable.Token, Name: "pc4"}, ""); !api.IsCode(err, api.CodeUnauthorized) {
		t.Fatalf("join with a revoked token: %v, want unauthorized", err)
	}
	// pc2 joined but is not listed (never registered, or removed after its
	// retention): removing it still revokes its credentials and frees the name.
	if err := srv.RemoveNode(ctx, alice, "pc2", false); !api.IsCode(err, api.CodeForbidden) {
		t.Fatalf("alice revoking pc2: %v, want forbidden", err)
	}
	if err := srv.RemoveNode(ctx, bob, "pc2", false); err != nil {
		t.Fatalf("bob revoking pc2: %v", err)
	}
	if err := srv.RemoveNode(ctx, bob, "pc2", false); !api.IsCode(err, api.CodeNotFound) {
		t.Fatalf("revoking pc2 twice: %v, want not found", err)
	}
	if err := srv.DeleteSource(ctx, admin, "ws", false); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	_, kept := srv.creds["pc1"]
	srv.mu.Unlock()
	if kept {
		t.Fatal("deleting a source kept its nodes' credentials")
	}
	if err := srv.DeleteSource(ctx, admin, DefaultSource, false); !api.IsCode(err, api.CodeConflict) {
		t.Fatalf("deleting the default source: %v", err)
	}

}

func TestJoinAdvertisesAReachableNATSURL(t *testing.T) {
	cfg := TestConfig(t.TempDir())
	cfg.NATSListen = "0.0.0.0:0"
	srv, _ := runServer(t, cfg)
	cred, err := srv.JoinNode(context.Background(), api.JoinRequest{Token: srv.NodeToken(), Name: "far"}, "https://grid.example.org:8443")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cred.NATSURL, "nats://grid.example.org:") || strings.HasSuffix(cred.NATSURL, ":0") {
		t.Fatalf("a node that joined through grid.example.org was told %s", cred.NATSURL)
	}
	cfg2 := TestConfig(t.TempDir())
	cfg2.NATSAdvertise = "nats://nats.example.org:4222"
	srv2, _ := runServer(t, cfg2)
	if cred, err := srv2.JoinNode(context.Background(), api.JoinRequest{Token: srv2.NodeToken(), Name: "far"}, "http://x"); err != nil || cred.NATSURL != cfg2.NATSAdvertise {
		t.Fatalf("with nats_advertise: %+v (%v)", cred, err)
	}
	bad := TestConfig(t.TempDir())
	bad.NATSAdvertise = "grid:4222"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "nats_advertise") {
		t.Fatalf("a bad nats_advertise: %v", err)
	}
}
