package jobspec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scripts"
	"gopkg.in/yaml.v3"
)

// maxErrors bounds the problems reported for one document, so that a large
// garbage upload cannot produce a multi-megabyte answer.
const maxErrors = 1000

// parser walks one document's node tree and collects every problem.
type parser struct {
	errs   []api.FieldError
	budget int // left for suggestions; see suggestBudget
	// compiled holds the outcome of compiling each selection script source
	// met so far (nil: it compiles).
	compiled map[string]*scripts.CompileError
	// compiledBytes is the size of the sources in compiled; overCompile is
	// set once they reach their bounds (see chargeCompile).
	compiledBytes int
	overCompile   bool
	// taskRetry holds what each task says about failures, by index, for
	// the job's defaults to be applied under.
	taskRetry []retryPolicy
}

// errorf records a problem with the field at path. When n is known its line
// is appended to the message.
func (p *parser) errorf(path string, n *yaml.Node, format string, args ...any) {
	switch {
	case len(p.errs) > maxErrors:
		return
	case len(p.errs) == maxErrors:
		p.errs = append(p.errs, api.FieldError{
			Message: fmt.Sprintf("too many problems; only the first %d are listed", maxErrors),
		})
		return
	}
	p.errs = append(p.errs, api.FieldError{Field: path, Message: withLine(fmt.Sprintf(format, args...), n)})
}

// withLine appends " (line N)" to msg when n carries a line number.
func withLine(msg string, n *yaml.Node) string {
	if n == nil || n.Line <= 0 {
		return msg
	}
	return fmt.Sprintf("%s (line %d)", msg, n.Line)
}

// join builds a field path: join("tasks[0]", "name") is "tasks[0].name".
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index builds a list element path: index("tasks", 2) is "tasks[2]".
func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// resolve follows aliases to the node they name. Alias cycles were
// rejected by checkSize before the walk starts.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or an explicit null ("~", "null", "").
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// kindName describes n's type for messages: "a string", "a list", ...
func kindName(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	}
	return "a value tagged " + n.ShortTag()
}

// entry is one key/value pair of a mapping.
type entry struct {
	key      string
	keyNode  *yaml.Node
	valueRaw *yaml.Node // as written, for line numbers
	value    *yaml.Node // aliases resolved
}

// entries returns the pairs of mapping n in document order, with YAML
// merge keys ("<<: *defaults") expanded: explicit keys win over merged
// ones. Duplicate explicit keys and non-scalar keys are reported.
func (p *parser) entries(path string, n *yaml.Node) ([]entry, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		p.errorf(path, n, "must be a mapping, got %s", kindName(n))
		return nil, false
	}
	var out, merged []entry
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge":
			merged = append(merged, p.mergeEntries(path, v)...)
		case k.Kind != yaml.ScalarNode:
			p.errorf(path, k, "keys must be strings, got %s", kindName(k))
		case seen[k.Value] != nil:
			p.errorf(join(path, k.Value), k, "duplicate key %q (first at line %d)", k.Value, seen[k.Value].Line)
		default:
			seen[k.Value] = k
			out = append(out, entry{key: k.Value, keyNode: k, valueRaw: v, value: resolve(v)})
		}
	}
	for _, e := range merged {
		if seen[e.key] == nil {
			seen[e.key] = e.keyNode
			out = append(out, e)
		}
	}
	return out, true
}

// mergeEntries expands the value of a merge key: a mapping or a list of
// mappings, earlier ones winning.
func (p *parser) mergeEntries(path string, v *yaml.Node) []entry {
	v = resolve(v)
	if v.Kind == yaml.MappingNode {
		es, _ := p.entries(path, v)
		return es
	}
	if v.Kind != yaml.SequenceNode {
		p.errorf(path, v, "a merge key (<<) needs a mapping or a list of mappings, got %s", kindName(v))
		return nil
	}
	var out []entry
	for _, m := range v.Content {
		es, _ := p.entries(path, m)
		out = append(out, es...)
	}
	return out
}

// object reads mapping n whose keys must be among known. It returns the
// non-null values by key; unknown keys are reported with a suggestion.
func (p *parser) object(path string, n *yaml.Node, known []string) (map[string]*yaml.Node, bool) {
	es, ok := p.entries(path, n)
	if !ok {
		return nil, false
	}
	m := make(map[string]*yaml.Node, len(es))
	for _, e := range es {
		if !slices.Contains(known, e.key) {
			p.unknownField(join(path, e.key), e.keyNode, e.key, known)
			continue
		}
		if !isNull(e.value) {
			m[e.key] = e.value
		}
	}
	return m, true
}

// unknownField reports key, suggesting the closest known field name.
func (p *parser) unknownField(path string, k *yaml.Node, key string, known []string) {
	if s := p.suggest(key, known); s != "" {
		p.errorf(path, k, "unknown field %q (did you mean %q?)", key, s)
		return
	}
	p.errorf(path, k, "unknown field %q (known fields: %s)", key, strings.Join(known, ", "))
}
