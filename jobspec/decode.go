package jobspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"gopkg.in/yaml.v3"
)

// maxNodes bounds the size of a document once its YAML aliases are
// expanded, so that "billion laughs" documents are refused cheaply.
const maxNodes = 2_000_000

// decode reads data (YAML or JSON) into the root node of its only
// document. A problem is returned as the single error of the document.
func decode(data []byte) (root *yaml.Node, fe *api.FieldError) {
	defer func() {
		if r := recover(); r != nil { // the YAML parser must never crash the server
			root, fe = nil, &api.FieldError{Message: fmt.Sprintf("malformed document: %v", r)}
		}
	}()
	if json.Valid(data) {
		data = normalizeJSON(data)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &api.FieldError{Message: "empty document"}
		}
		return nil, &api.FieldError{Message: "malformed document: " + parserMessage(err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) && (err != nil || documentRoot(&extra) != nil) {
		return nil, &api.FieldError{Message: withLine("more than one document; put one job in each file", &extra)}
	}
	root = documentRoot(&doc)
	if root == nil {
		return nil, &api.FieldError{Message: "empty document"}
	}
	if msg, n := checkSize(root); msg != "" {
		return nil, &api.FieldError{Message: withLine(msg, n)}
	}
	return root, nil
}

// documentRoot returns the content of document doc, or nil when it is
// empty or null.
func documentRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || isNull(doc.Content[0]) {
		return nil
	}
	return doc.Content[0]
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parserMessage rewrites "yaml: line 3: did not find ..." into our
// format, "did not find ... (line 3)".
func parserMessage(err error) string {
	msg := strings.TrimSpace(err.Error())
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		return m[2] + " (line " + m[1] + ")"
	}
	return strings.TrimPrefix(msg, "yaml: ")
}

// checkSize refuses alias cycles and documents that grow beyond maxNodes
// when their aliases are expanded. It runs in time linear in the
// document's size; only anchored nodes, the targets of aliases, are
// memoized.
func checkSize(root *yaml.Node) (string, *yaml.Node) {
	const visiting = -1
	memo := map[*yaml.Node]int{}
	var size func(n *yaml.Node) (int, *yaml.Node)
	size = func(n *yaml.Node) (int, *yaml.Node) {
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return 0, n
			}
			if memo[n.Alias] == visiting {
				return visiting, n
			}
			return size(n.Alias)
		}
		if s, ok := memo[n]; ok {
			return s, nil
		}
		if n.Anchor != "" {
			memo[n] = visiting
		}
		total := 1
		for _, c := range n.Content {
			s, bad := size(c)
			if bad != nil {
				return s, bad
			}
			total = min(total+s, maxNodes+1)
		}
		if n.Anchor != "" {
			memo[n] = total
		}
		return total, nil
	}
	s, bad := size(root)
	switch {
	case bad != nil && s == visiting:
		return "an alias refers to the value that contains it", bad
	case bad != nil:
		return "unknown alias", bad
	case s > maxNodes:
		return fmt.Sprintf("document too large once its aliases are expanded (more than %d values)", maxNodes), nil
	}
	return "", nil
}
