package jobspec

import (
	"math"
	"strings"

	"gopkg.in/yaml.v3"
)

// isText reports whether scalar n holds text rather than a number, a
// boolean or null.
func isText(n *yaml.Node) bool {
	switch n.ShortTag() {
	case "!!int", "!!float", "!!bool", "!!null":
		return false
	}
	return true
}

// str reads a string field. Numbers and booleans are refused so that
// `name: 1.10` does not silently become "1.1"; quote them instead.
func (p *parser) str(path string, n *yaml.Node) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || !isText(n) {
		p.errorf(path, n, "must be a string, got %s", kindName(n))
		return "", false
	}
	return p.noNUL(path, n)
}

// text reads a scalar of any type as the text it was written with: the
// values of variables, env and command arguments. Null reads as "".
func (p *parser) text(path string, n *yaml.Node) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		p.errorf(path, n, "must be a string, got %s", kindName(n))
		return "", false
	}
	if n.ShortTag() == "!!null" {
		return "", true
	}
	return p.noNUL(path, n)
}

// noNUL refuses NUL characters, which no process argument, environment
// variable or script can carry.
func (p *parser) noNUL(path string, n *yaml.Node) (string, bool) {
	if strings.ContainsRune(n.Value, 0) {
		p.errorf(path, n, "must not contain NUL characters")
		return "", false
	}
	return n.Value, true
}

// number reads a finite integer or decimal number.
func (p *parser) number(path string, n *yaml.Node) (float64, bool) {
	n = resolve(n)
	var v float64
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&v) != nil {
		p.errorf(path, n, "must be a number, got %s", kindName(n))
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		p.errorf(path, n, "must be a finite number, got %s", n.Value)
		return 0, false
	}
	return v, true
}

// integer reads a whole number that fits in 64 bits.
func (p *parser) integer(path string, n *yaml.Node) (int64, bool) {
	n = resolve(n)
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		p.errorf(path, n, "must be an integer, got %s", describeValue(n))
		return 0, false
	}
	return v, true
}

// describeValue is kindName plus the literal for scalars: "a number (2.5)".
func describeValue(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" && len(n.Value) <= 40 {
		return kindName(n) + " (" + n.Value + ")"
	}
	return kindName(n)
}

// list reads a sequence.
func (p *parser) list(path string, n *yaml.Node) ([]*yaml.Node, bool) {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		p.errorf(path, n, "must be a list, got %s", kindName(n))
		return nil, false
	}
	return n.Content, true
}

// envMap reads a mapping of environment variable names to values, as used
// by variables and env. Keys follow checkEnvName; values are scalars.
func (p *parser) envMap(path string, n *yaml.Node) map[string]string {
	es, ok := p.entries(path, n)
	if !ok || len(es) == 0 {
		return nil
	}
	out := make(map[string]string, len(es))
	for _, e := range es {
		kp := join(path, e.key)
		if msg := checkEnvName(e.key); msg != "" {
			p.errorf(kp, e.keyNode, "%s", msg)
			continue
		}
		if e.value.Kind != yaml.ScalarNode {
			p.errorf(kp, e.valueRaw, "must be a string, number or boolean, got %s", kindName(e.value))
			continue
		}
		if v, ok := p.text(kp, e.value); ok {
			out[e.key] = v
		}
	}
	return out
}
