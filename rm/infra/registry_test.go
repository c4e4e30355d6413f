package infra

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestKindsAndDescribe(t *testing.T) {
	var names []string
	for _, k := range Describe() {
		names = append(names, k.Name)
		if k.Summary == "" {
			t.Errorf("kind %s has no summary", k.Name)
		}
		for _, p := range k.Params {
			if p.Help == "" {
				t.Errorf("param %s.%s has no help", k.Name, p.Name)
			}
		}
	}
	if want := []string{"enroll", "local", "ssh", "slurm"}; !slices.Equal(names, want) {
		t.Errorf("kinds = %v, want %v", names, want)
	}
	ssh, ok := Lookup("ssh")
	if !ok {
		t.Fatal("Lookup(ssh) failed")
	}
	for _, p := range ssh.Params {
		if secret := p.Name == "private_key" || p.Name == "password"; p.Secret != secret {
			t.Errorf("ssh param %s: Secret = %v, want %v", p.Name, p.Secret, secret)
		}
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) succeeded")
	}
}

const (
	secretKey = "SECRET-NOT-A-KEY-4242"
	secretPW  = "SECRET-PASSWORD-4242"
)

func TestNewReportsEveryProblem(t *testing.T) {
	priv, _ := newClientKey(t)
	for name, tc := range map[string]struct {
		spec api.PluginSpec
		want map[string]string // field → part of its message; nil: valid
	}{
		"empty type is enroll": {spec: api.PluginSpec{}},
		"enroll":               {spec: api.PluginSpec{Type: "enroll"}},
		"misspelt kind":        {spec: api.PluginSpec{Type: "lcoal"}, want: map[string]string{"type": `unknown infrastructure "lcoal"; did you mean "local"?`}},
		"unknown kind":         {spec: api.PluginSpec{Type: "kubernetes"}, want: map[string]string{"type": "known: enroll, local, ssh, slurm"}},
		"enroll takes no params": {
			spec: api.PluginSpec{Type: "enroll", Params: map[string]string{"hosts": "a"}},
			want: map[string]string{"params.hosts": "this kind takes none"},
		},
		"local defaults": {spec: api.PluginSpec{Type: "local"}},
		"local, all wrong": {
			spec: api.PluginSpec{Type: "local", Params: map[string]string{"max_nodes": "four", "slots": "0", "stop_grace": "0s", "tag": "gpu"}},
			want: map[string]string{
				"params.max_nodes":  `"four" is not a whole number`,
				"params.slots":      "at least 1",
				"params.stop_grace": "more than 0",
				"params.tag":        `did you mean "tags"?`,
			},
		},
		"ssh with a key": {spec: api.PluginSpec{Type: "ssh", Params: map[string]string{
			"hosts": "a, b:2222, [::1]:22, ::1", "user": "grid", "private_key": string(priv), "insecure_ignore_host_key": "true",
		}}},
		"ssh with a password and known_hosts": {spec: api.PluginSpec{Type: "ssh", Params: map[string]string{
			"hosts": "a", "user": "grid", "password": secretPW, "known_hosts": "a ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGbH1Lq2vYpZ0Q1HnUp3bCbXoQ4qRk8i3Jq0d1mJtG4s\n",
		}}},
		"ssh, nothing given": {
			spec: api.PluginSpec{Type: "ssh"},
			want: map[string]string{
				"params.hosts":       "required",
				"params.user":        "required",
				"params.private_key": "private_key or password is required",
				"params.known_hosts": "required unless insecure_ignore_host_key is true",
			},
		},
		"ssh, all wrong": {
			spec: api.PluginSpec{Type: "ssh", Params: map[string]string{
				"hosts": "good, bad:port", "port": "70000", "user": "grid", "private_key": secretKey, "password": secretPW,
				"known_hosts": "# fine\nnot a known_hosts line", "nats_url": "10.0.0.5", "connect_timeout": "soon", "agnet_path": "/x",
			}},
			want: map[string]string{
				"params.connect_timeout": `"soon" is not a duration`,
				"params.port":            "between 1 and 65535",
				"params.hosts":           `"bad:port" is not host or host:port`,
				"params.private_key":     "not a private key",
				"params.known_hosts":     "line 2 is not a known_hosts line",
				"params.nats_url":        `"10.0.0.5" is not a URL`,
				"params.agnet_path":      `did you mean "agent_path"?`,
			},
		},
		"ssh, both host key choices": {
			spec: api.PluginSpec{Type: "ssh", Params: map[string]string{
				"hosts": "a", "user": "grid", "password": "x", "insecure_ignore_host_key": "true",
				"known_hosts": "a ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGbH1Lq2vYpZ0Q1HnUp3bCbXoQ4qRk8i3Jq0d1mJtG4s",
			}},
			want: map[string]string{"params.insecure_ignore_host_key": "must be false when known_hosts is given"},
		},
		"ssh, a bad value reported once": {
			spec: api.PluginSpec{Type: "ssh", Params: map[string]string{"hosts": "a", "user": "u", "password": secretPW, "insecure_ignore_host_key": "maybe"}},
			want: map[string]string{"params.insecure_ignore_host_key": `"maybe" is not true or false`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			inf, errs := New(tc.spec, Env{})
			got := map[string]string{}
			for _, e := range errs {
				if _, dup := got[e.Field]; dup {
					t.Errorf("field %s reported twice: %v", e.Field, errs)
				}
				got[e.Field] = e.Message
				if strings.Contains(e.Message, "SECRET") {
					t.Errorf("%s: message quotes a secret: %q", e.Field, e.Message)
				}
			}
			if (inf == nil) != (len(tc.want) > 0) {
				t.Errorf("New returned %v with errors %v", inf, errs)
			}
			if len(got) != len(tc.want) {
				t.Errorf("errors = %v, want fields %v", errs, tc.want)
			}
			for field, want := range tc.want {
				if !strings.Contains(got[field], want) {
					t.Errorf("%s: got %q, want it to say %q", field, got[field], want)
				}
			}
		})
	}
}

func TestEnrollDeploysNothing(t *testing.T) {
	inf, errs := New(api.PluginSpec{}, Env{})
	if errs != nil {
		t.Fatal(errs)
	}
	if _, err := inf.Deploy(context.Background(), Node{Name: "n1"}); !errors.Is(err, ErrSelfEnrolled) || !strings.Contains(err.Error(), "shrike node join") {
		t.Errorf("Deploy = %v, want ErrSelfEnrolled", err)
	}
	if c := inf.Capacity(); c != 0 {
		t.Errorf("Capacity = %d, want 0 (no limit)", c)
	}
	if lost := inf.Check(context.Background(), []Deployed{{Name: "n1"}}); len(lost) != 0 {
		t.Errorf("Check = %v, want nothing", lost)
	}
	if err := inf.Release(context.Background(), Deployed{Name: "n1"}); err != nil {
		t.Errorf("Release = %v, want nil (the server tells the agent to leave)", err)
	}
}
