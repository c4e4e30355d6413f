package jobspec

import "testing"

func TestNormalizeJSON(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`{"a": "b"}`, `{"a": "b"}`},
		{`{"a/b": "\/"}`, `{"a/b": "/"}`},
		{`["\\/"]`, `["\\/"]`}, // an escaped backslash, then a plain slash
		{`["\ud83d\ude00"]`, `["\U0001f600"]`},
		{`["\ud83d x"]`, `["\ufffd x"]`},
		{`["\u00e9\n\"\\"]`, `["\u00e9\n\"\\"]`},
		{"[\"\x7f\u0085\ufeff\"]", `["\u007f\u0085\ufeff"]`},
		{"[\"\xff\"]", `["\ufffd"]`},
		{"{\n\t\"a\": 1\n}", "{\n\t\"a\": 1\n}"},
	}
	for _, tt := range tests {
		if got := string(normalizeJSON([]byte(tt.in))); got != tt.want {
			t.Errorf("normalizeJSON(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
