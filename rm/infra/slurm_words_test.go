package infra

import (
	"slices"
	"testing"
)

func TestSlurmSplitShellWords(t *testing.T) {
	for in, want := range map[string][]string{
		"":                                  nil,
		"  \t ":                             nil,
		"--account=x  --qos=y":              {"--account=x", "--qos=y"},
		`--comment='two words' -J "a b"`:    {"--comment=two words", "-J", "a b"},
		`--x='it'\''s' "say \"hi\" \$HOME"`: {"--x=it's", `say "hi" $HOME`},
		`a\ b "c\d" '' ""`:                  {"a b", `c\d`, "", ""},
		`--constraint="a|b"&c`:              {"--constraint=a|b&c"},
	} {
		got, err := splitShellWords(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("splitShellWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		`--account='x`: "unterminated single quote",
		`-J "a b`:      "unterminated double quote",
		`a \`:          "ends with a lone backslash",
	} {
		if _, err := splitShellWords(in); err == nil || err.Error() != want {
			t.Errorf("splitShellWords(%q): error %v, want %q", in, err, want)
		}
	}
}
