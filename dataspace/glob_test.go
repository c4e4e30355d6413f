package dataspace

import (
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestSelectorMatch(t *testing.T) {
	for _, tc := range []struct {
		include, exclude []string
		path             string
		want             bool
	}{
		{nil, nil, "a/b/c.txt", true},
		{[]string{"*.csv"}, nil, "a.csv", true},
		{[]string{"*.csv"}, nil, "data/a.csv", false},
		{[]string{"**/*.csv"}, nil, "a.csv", true},
		{[]string{"**/*.csv"}, nil, "data/x/y/a.csv", true},
		{[]string{"**/*.csv"}, nil, "data/a.csv.bak", false},
		{[]string{"data/**"}, nil, "data/x/y", true},
		{[]string{"data/**"}, nil, "database/x", false},
		{[]string{"data/"}, nil, "data/x/y", true},
		{[]string{"data/"}, nil, "other/data/x", false},
		{[]string{"data/**/out.txt"}, nil, "data/out.txt", true},
		{[]string{"data/**/out.txt"}, nil, "data/a/b/out.txt", true},
		{[]string{"data/**/out.txt"}, nil, "data/a/b/out.txt2", false},
		{[]string{"**/tmp/**"}, nil, "a/tmp/b", true},
		{[]string{"**/tmp/**"}, nil, "tmp/b", true},
		{[]string{"**/**/x"}, nil, "x", true},
		{[]string{"run-?.log"}, nil, "run-1.log", true},
		{[]string{"run-?.log"}, nil, "run-10.log", false},
		{[]string{"run-[0-9].log"}, nil, "run-7.log", true},
		{[]string{"run-[0-9].log"}, nil, "run-x.log", false},
		{[]string{"run-[^0-9].log"}, nil, "run-x.log", true},
		{[]string{"*"}, nil, "a/b", false},
		{[]string{"*/*"}, nil, "a/b", true},
		{[]string{"a*b"}, nil, "a/b", false}, // * stays within a segment
		{[]string{`\*`}, nil, "*", true},
		{[]string{`\*`}, nil, "x", false},
		{nil, []string{"**/*.log"}, "a/b.log", false},
		{nil, []string{"**/*.log"}, "a/b.txt", true},
		{[]string{"**/*.csv"}, []string{"tmp/"}, "tmp/a.csv", false},
		{[]string{"**/*.csv"}, []string{"tmp/"}, "x/tmp/a.csv", true},
		{[]string{"a.txt", "b.txt"}, nil, "b.txt", true},
		{[]string{"a.txt", "b.txt"}, []string{"b.*"}, "b.txt", false},
	} {
		sel := Selector{Include: tc.include, Exclude: tc.exclude}
		if got := sel.Match(tc.path); got != tc.want {
			t.Errorf("%s matches %q = %v, want %v", sel, tc.path, got, tc.want)
		}
	}
}

// A walk prunes directories, so descend must agree with match: every
// path it selects lies under directories it enters.
func TestSelectorDescendAgreesWithMatch(t *testing.T) {
	paths := []string{"a.csv", "data/a.csv", "data/x/y/a.csv", "data/tmp/a.csv", "tmp/b", "x/tmp/y/z.log", "database/x"}
	sels := []Selector{
		{Include: []string{"data/*.csv"}},
		{Include: []string{"**/tmp/**"}},
		{Include: []string{"data/**"}, Exclude: []string{"data/tmp/"}},
		{Include: []string{"d*/x/**"}},
		{Exclude: []string{"**/tmp/**"}},
	}
	for _, sel := range sels {
		m, err := sel.compile()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			segs := strings.Split(p, "/")
			if !m.match(segs) {
				continue
			}
			for i := 1; i < len(segs); i++ {
				if !m.descend(segs[:i]) {
					t.Errorf("%s selects %q but does not enter %q", sel, p, strings.Join(segs[:i], "/"))
				}
			}
		}
	}
}

func TestSelectorValidate(t *testing.T) {
	err := Selector{Include: []string{"ok/*", "../x", "[z-a"}, Exclude: []string{"/abs", "a//b", ""}}.Validate()
	if err == nil {
		t.Fatal("bad patterns accepted")
	}
	if !api.IsCode(err, api.CodeInvalid) {
		t.Fatalf("%v: not a validation error", err)
	}
	for _, want := range []string{"include[1]", "include[2]", "exclude[0]", "exclude[1]", "exclude[2]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "include[0]") {
		t.Errorf("%q blames a good pattern", err)
	}
	if err := (Selector{Include: []string{"**/*.csv", "data/", `a\*`}}).Validate(); err != nil {
		t.Errorf("good patterns refused: %v", err)
	}
}
