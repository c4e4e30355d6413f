package jobspec

import (
	"path"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"gopkg.in/yaml.v3"
)

// Limits of declared file transfers.
const (
	MaxFileTransfers = 32  // entries in input_files or output_files
	MaxGlobs         = 64  // include + exclude patterns of one entry
	MaxGlobLength    = 512 // bytes of one pattern
)

var (
	inputFields  = []string{"from", "include", "exclude", "optional"}
	outputFields = []string{"to", "include", "exclude"}
	inputSpaces  = []string{api.SpaceInput, api.SpaceOutput, api.SpaceGlobal, api.SpaceUser}
	outputSpaces = []string{api.SpaceOutput, api.SpaceUser, api.SpaceGlobal}
)

// fileTransfers reads input_files (input true) or output_files.
func (p *parser) fileTransfers(fpath string, n *yaml.Node, input bool) []api.FileTransfer {
	items, ok := p.list(fpath, n)
	if !ok {
		return nil
	}
	if len(items) > MaxFileTransfers {
		p.errorf(fpath, n, "too many entries (%d, at most %d)", len(items), MaxFileTransfers)
		return nil
	}
	out := make([]api.FileTransfer, 0, len(items))
	for i, it := range items {
		out = append(out, p.fileTransfer(index(fpath, i), it, input))
	}
	return out
}

func (p *parser) fileTransfer(fpath string, n *yaml.Node, input bool) api.FileTransfer {
	var ft api.FileTransfer
	fields, key, spaces := outputFields, "to", outputSpaces
	if input {
		fields, key, spaces = inputFields, "from", inputSpaces
	}
	m, ok := p.object(fpath, n, fields)
	if !ok {
		return ft
	}
	space := spaces[0]
	if v := m[key]; v != nil {
		if s, ok := p.str(join(fpath, key), v); ok {
			if !contains(spaces, s) {
				p.errorf(join(fpath, key), v, "unknown space %q: use %s", s, strings.Join(spaces, ", "))
			}
			space = s
		}
	}
	if input {
		ft.From = space
	} else {
		ft.To = space
	}
	ft.Include = p.globs(join(fpath, "include"), m["include"])
	ft.Exclude = p.globs(join(fpath, "exclude"), m["exclude"])
	if len(ft.Include)+len(ft.Exclude) > MaxGlobs {
		p.errorf(fpath, n, "too many patterns (%d, at most %d)", len(ft.Include)+len(ft.Exclude), MaxGlobs)
	}
	if v := m["optional"]; v != nil {
		r := resolve(v)
		switch {
		case r.Kind == yaml.ScalarNode && r.Tag == "!!bool":
			ft.Optional = r.Value == "true"
		default:
			p.errorf(join(fpath, "optional"), v, "must be true or false, got %s", kindName(v))
		}
	}
	return ft
}

// globs reads a pattern or a list of them. A pattern is relative to the
// space ("data/**/*.csv"): not absolute, no "..", no NUL, and well formed.
func (p *parser) globs(fpath string, n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	var nodes []*yaml.Node
	if r := resolve(n); r.Kind == yaml.ScalarNode {
		nodes = []*yaml.Node{n}
	} else {
		items, ok := p.list(fpath, n)
		if !ok {
			return nil
		}
		nodes = items
	}
	var out []string
	for i, it := range nodes {
		ip := fpath
		if len(nodes) > 1 || resolve(n).Kind != yaml.ScalarNode {
			ip = index(fpath, i)
		}
		s, ok := p.str(ip, it)
		if !ok {
			continue
		}
		switch {
		case s == "":
			p.errorf(ip, it, "must not be empty")
		case len(s) > MaxGlobLength:
			p.errorf(ip, it, "is too long (%d bytes, at most %d)", len(s), MaxGlobLength)
		case strings.HasPrefix(s, "/"):
			p.errorf(ip, it, "%q: patterns are relative to the space (no leading /)", s)
		case strings.ContainsRune(s, 0) || strings.Contains(s, "\\"):
			p.errorf(ip, it, "%q: NUL bytes and backslashes are not allowed", s)
		case contains(strings.Split(s, "/"), ".."):
			p.errorf(ip, it, "%q: \"..\" is not allowed", s)
		default:
			if _, err := path.Match(strings.ReplaceAll(s, "**", "*"), ""); err != nil {
				p.errorf(ip, it, "%q: malformed pattern", s)
				continue
			}
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
