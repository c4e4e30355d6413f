package dataspace

import (
	"fmt"
	"path"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// A pattern is a glob over "/"-separated paths relative to a space root:
// "**" as a whole segment matches any number of segments (zero included),
// and within a segment "*" matches any run of characters, "?" one
// character and "[...]" a class, as in path.Match. A pattern matches the
// whole path: "*.csv" selects the CSV files at the top only, "**/*.csv"
// those at any depth. A trailing "/" selects a directory's whole tree
// ("data/" is "data/**").

// compiled is a checked pattern split into segments.
type compiled []string

// compilePattern checks a pattern and splits it.
func compilePattern(p string) (compiled, error) {
	if p == "" {
		return nil, fmt.Errorf("empty pattern")
	}
	if reason := badPathReason(p); reason != "" && !strings.Contains(reason, "backslash") {
		return nil, fmt.Errorf("pattern %q: %s", p, reason)
	}
	segs := strings.Split(p, "/")
	if strings.HasSuffix(p, "/") {
		segs[len(segs)-1] = "**"
	}
	for _, s := range segs {
		switch s {
		case "":
			return nil, fmt.Errorf("pattern %q: contains an empty segment (//)", p)
		case ".", "..":
			return nil, fmt.Errorf("pattern %q: contains a %q segment", p, s)
		}
		if _, err := path.Match(s, ""); err != nil {
			return nil, fmt.Errorf("pattern %q: bad segment %q: %w", p, s, err)
		}
	}
	return segs, nil
}

// matches reports whether the pattern matches the path segments s.
func (p compiled) matches(s []string) bool {
	for len(p) > 0 {
		if p[0] == "**" {
			for len(p) > 0 && p[0] == "**" {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			for i := range len(s) + 1 {
				if p.matches(s[i:]) {
					return true
				}
			}
			return false
		}
		if len(s) == 0 {
			return false
		}
		if ok, _ := path.Match(p[0], s[0]); !ok {
			return false
		}
		p, s = p[1:], s[1:]
	}
	return len(s) == 0
}

// mayMatchUnder reports whether the pattern could match some path inside
// the directory dir (a walk skips directories no include can match).
func (p compiled) mayMatchUnder(dir []string) bool {
	for len(dir) > 0 {
		if len(p) == 0 {
			return false
		}
		if p[0] == "**" {
			return true
		}
		if ok, _ := path.Match(p[0], dir[0]); !ok {
			return false
		}
		p, dir = p[1:], dir[1:]
	}
	return len(p) > 0
}

// matcher is a compiled Selector.
type matcher struct {
	include, exclude []compiled
}

// Validate checks every pattern of the selector; the error is an
// api.CodeInvalid error naming each bad pattern (include[i], exclude[i]).
func (s Selector) Validate() error {
	_, err := s.compile()
	return err
}

func (s Selector) compile() (*matcher, error) {
	m := &matcher{}
	var errs []api.FieldError
	for _, list := range []struct {
		name string
		pats []string
		out  *[]compiled
	}{{"include", s.Include, &m.include}, {"exclude", s.Exclude, &m.exclude}} {
		for i, p := range list.pats {
			c, err := compilePattern(p)
			if err != nil {
				errs = append(errs, api.FieldError{Field: fmt.Sprintf("%s[%d]", list.name, i), Message: err.Error()})
				continue
			}
			*list.out = append(*list.out, c)
		}
	}
	if len(errs) > 0 {
		return nil, api.Invalid(errs)
	}
	return m, nil
}

// Match reports whether the "/"-separated path rel is selected: it
// matches an include pattern (any path when there is none) and no exclude
// pattern. Invalid patterns match nothing (use Validate).
func (s Selector) Match(rel string) bool {
	m, err := s.compile()
	return err == nil && m.match(strings.Split(rel, "/"))
}

func (m *matcher) match(segs []string) bool {
	in := len(m.include) == 0
	for _, p := range m.include {
		if p.matches(segs) {
			in = true
			break
		}
	}
	if !in {
		return false
	}
	for _, p := range m.exclude {
		if p.matches(segs) {
			return false
		}
	}
	return true
}

// descend reports whether a walk should enter directory dir: some include
// could match below it and no exclude matches its whole tree.
func (m *matcher) descend(dir []string) bool {
	for _, p := range m.exclude {
		if len(p) > 0 && p[len(p)-1] == "**" && p[:len(p)-1].matches(dir) {
			return false
		}
	}
	if len(m.include) == 0 {
		return true
	}
	for _, p := range m.include {
		if p.mayMatchUnder(dir) {
			return true
		}
	}
	return false
}

// String renders the selector for messages: include ["a" "b"] exclude [...].
func (s Selector) String() string {
	msg := fmt.Sprintf("include %q", s.Include)
	if len(s.Include) == 0 {
		msg = "include everything"
	}
	if len(s.Exclude) > 0 {
		msg += fmt.Sprintf(" exclude %q", s.Exclude)
	}
	return msg
}
