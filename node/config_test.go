package node

import (
	"strings"
	"testing"
	"time"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Config{Name: "bad name!", CPUs: -1, Slots: -2, KillGrace: -time.Second, Tags: []string{" "}}.Validate()
	if err == nil {
		t.Fatal("Validate: want an error")
	}
	for _, want := range []string{"server URL", "token", "invalid node name", "work directory", "cpus", "slots", "kill grace", "tag 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error %q does not mention %q", err, want)
		}
	}
	ok := Config{ServerURL: "nats://x", Token: "t", WorkDir: "/tmp/x"}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate of a minimal config: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	c := Config{ServerURL: "nats://x", Token: "t", WorkDir: "/tmp/x", CPUs: 4}.withDefaults()
	if c.Slots != 4 || c.KillGrace != DefaultKillGrace || c.LogPollInterval != DefaultLogPollInterval ||
		c.OutboxRetry != DefaultOutboxRetry || c.RequestTimeout != DefaultRequestTimeout || c.Logger == nil {
		t.Errorf("defaults = %+v", c)
	}
	if c.Name == "" || len(c.LuaRunner) != 3 || c.LuaRunner[1] != "node" || c.LuaRunner[2] != "run-lua" {
		t.Errorf("name %q, lua runner %v", c.Name, c.LuaRunner)
	}
}

func TestSanitizeName(t *testing.T) {
	tests := map[string]string{
		"worker-1":              "worker-1",
		"host.example.com":      "host-example-com",
		".hidden":               "hidden",
		"":                      "node",
		"...":                   "node",
		strings.Repeat("a", 70): strings.Repeat("a", 63),
	}
	for in, want := range tests {
		if got := SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}
