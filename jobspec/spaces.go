package jobspec

import (
	"github.com/shrike-grid/shrike/dataspace"
	"gopkg.in/yaml.v3"
)

// spaceRef reads input_space or output_space: "user:PATH" or
// "global:PATH" (see dataspace.ParseRef), returned in canonical form
// ("user:results", no trailing "/"). An empty string is the default: the
// job's own directory.
func (p *parser) spaceRef(path string, n *yaml.Node) string {
	s, ok := p.str(path, n)
	if !ok || s == "" {
		return ""
	}
	space, rel, err := dataspace.ParseRef(s)
	if err != nil {
		p.errorf(path, n, "%s", err)
		return ""
	}
	return space + ":" + rel
}
