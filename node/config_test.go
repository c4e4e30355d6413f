package node

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Config{Name: "bad name!", CPUs: -1, Slots: -2, KillGrace: -time.Second, Tags: []string{" "}}.Validate()
	if err == nil {
		t.Fatal("Validate: want an error")
	}
	for _, want := range []string{"server URL", "secret", "invalid node name", "work directory", "cpus", "slots", "kill grace", "tag 1"} {
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

func TestValidateFacts(t *testing.T) {
	base := Config{ServerURL: "nats://x", Token: "t", WorkDir: "/tmp/x"}
	tests := []struct {
		name  string
		facts map[string]string
		want  []string // substrings of the error; none: valid
	}{
		{"none", nil, nil},
		{"good", map[string]string{"rack": "7", "zone.a-1_b": "", "x": strings.Repeat("v", MaxFactValueLen)}, nil},
		{"longest key", map[string]string{"k" + strings.Repeat("a", 63): "v"}, nil},
		{"upper case", map[string]string{"Rack": "7"}, []string{`"Rack"`}},
		{"leading digit", map[string]string{"1rack": "7"}, []string{`"1rack"`}},
		{"empty key", map[string]string{"": "7"}, []string{`fact key ""`}},
		{"space", map[string]string{"my rack": "7"}, []string{`"my rack"`}},
		{"key too long", map[string]string{"k" + strings.Repeat("a", 64): "v"}, []string{"is invalid"}},
		{"value too long", map[string]string{"big": strings.Repeat("v", MaxFactValueLen+1)}, []string{`fact "big"`, "1025 bytes"}},
		{"every bad one", map[string]string{"A": "1", "b!": "2", "ok": "3", "long": strings.Repeat("v", 2000)},
			[]string{`"A"`, `"b!"`, `fact "long"`}},
	}
	for _, tt := range tests {
		c := base
		c.Facts = tt.facts
		err := c.Validate()
		if len(tt.want) == 0 {
			if err != nil {
				t.Errorf("%s: Validate: %v", tt.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: Validate: want an error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tt.name, err, w)
			}
		}
		if strings.Contains(err.Error(), `"ok"`) {
			t.Errorf("%s: error %q mentions a good fact", tt.name, err)
		}
	}
}

func TestFactsFileAndFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	yml := write("facts.yaml", "rack: \"7\"\nzone: eu-1\ncores: 64\n")
	fromFile, err := ReadFactsFile(yml)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(fromFile, map[string]string{"rack": "7", "zone": "eu-1", "cores": "64"}) {
		t.Errorf("YAML facts = %v", fromFile)
	}
	js, err := ReadFactsFile(write("facts.json", `{"rack": "9", "gpu.kind": "a100"}`))
	if err != nil || !maps.Equal(js, map[string]string{"rack": "9", "gpu.kind": "a100"}) {
		t.Errorf("JSON facts = %v, %v", js, err)
	}
	if empty, err := ReadFactsFile(write("empty.yaml", "")); err != nil || len(empty) != 0 {
		t.Errorf("empty file = %v, %v", empty, err)
	}
	for _, bad := range []string{"- a\n- b\n", "rack:\n  nested: x\n", "just a string\n", "{"} {
		if f, err := ReadFactsFile(write("bad.yaml", bad)); err == nil {
			t.Errorf("ReadFactsFile(%q) = %v, want an error", bad, f)
		}
	}
	if _, err := ReadFactsFile(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing facts file: want an error")
	}

	merged, err := MergeFacts(fromFile, []string{"rack=8", "os.note=a=b,c", "empty="})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"rack": "8", "zone": "eu-1", "cores": "64", "os.note": "a=b,c", "empty": ""}
	if !maps.Equal(merged, want) {
		t.Errorf("merged = %v, want %v (the flag wins)", merged, want)
	}
	if fromFile["rack"] != "7" {
		t.Error("MergeFacts modified the file's facts")
	}
	if m, err := MergeFacts(nil, nil); err != nil || m != nil {
		t.Errorf("no facts = %v, %v; want nil", m, err)
	}
	if _, err := MergeFacts(nil, []string{"novalue"}); err == nil {
		t.Error("--fact without '=': want an error")
	}
	c := Config{ServerURL: "nats://x", Token: "t", WorkDir: dir, Facts: merged}
	if err := c.Validate(); err != nil {
		t.Errorf("merged facts: %v", err)
	}
	c.Facts, _ = MergeFacts(merged, []string{"Bad=1"})
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `"Bad"`) {
		t.Errorf("bad flag key: Validate = %v", err)
	}
}
