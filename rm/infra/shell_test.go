package infra

import (
	"os/exec"
	"testing"
)

// The quoting is checked by a real sh: what it prints is what was meant.
func TestShellQuotingThroughSh(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{shellQuote(`it's "a" $HOME; rm -rf / ` + "`x`"), `it's "a" $HOME; rm -rf / ` + "`x`"},
		{shellQuote(""), ""},
		{shellPath("~"), "/home/t"},
		{shellPath("~/.shrike/my nodes"), "/home/t/.shrike/my nodes"},
		{shellPath("/abs/~/x"), "/abs/~/x"},
		{shellPath("~other/x"), "~other/x"},
		{shellWords([]string{"a b", "c'd"}), "a b|c'd"},
	} {
		cmd := exec.Command("sh", "-c", `IFS='|'; set -- `+tc.expr+`; printf '%s' "$*"`)
		cmd.Env = []string{"HOME=/home/t"}
		out, err := cmd.Output()
		if err != nil || string(out) != tc.want {
			t.Errorf("sh read %s as %q (%v), want %q", tc.expr, out, err, tc.want)
		}
	}
}

func TestTailLines(t *testing.T) {
	got := tailLines("a\n\nb\r\nc\nd\ne\nf\n", 5)
	if want := "b | c | d | e | f"; got != want {
		t.Errorf("tailLines = %q, want %q", got, want)
	}
}
