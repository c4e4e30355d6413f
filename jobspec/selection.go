package jobspec

import (
	"errors"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scripts"
	"gopkg.in/yaml.v3"
)

// Limits of selection scripts. Compiling costs the server about 40µs per
// script plus 0.2µs per byte, so a job's distinct inline scripts are
// bounded too (a script shared by many tasks, through the job's default or
// YAML aliases, counts once; shipped scripts do not count).
const (
	MaxSelectionScripts    = 16      // scripts in one task's list
	MaxJobSelectionSources = 1000    // distinct inline (lua:) scripts in one job
	MaxJobSelectionBytes   = 1 << 20 // their total size, bytes
)

var selectionFields = []string{"lua", "file", "type", "args"}

// selection reads a list of selection scripts, the job's default or a
// task's own. An explicit empty list reads as an empty, non-nil slice so
// that applySelectionDefault can tell "none" from "not set".
func (p *parser) selection(path string, n *yaml.Node) []api.SelectionScript {
	items, ok := p.list(path, n)
	switch {
	case !ok:
		return nil
	case len(items) > MaxSelectionScripts:
		// Not walked: compiling a huge list would cost the server dearly.
		p.errorf(path, n, "too many selection scripts (%d, at most %d)", len(items), MaxSelectionScripts)
		return nil
	}
	out := make([]api.SelectionScript, 0, len(items))
	for i, it := range items {
		out = append(out, p.selectionScript(index(path, i), it))
	}
	return out
}

// selectionScript reads one entry: a mapping, or a string naming a
// library script (shorthand for {file: name}).
func (p *parser) selectionScript(path string, n *yaml.Node) api.SelectionScript {
	s := api.SelectionScript{Type: api.SelectionStatic}
	if r := resolve(n); r.Kind == yaml.ScalarNode && isText(r) {
		s.File = p.libraryFile(path, r)
		return s
	}
	if r := resolve(n); r.Kind != yaml.MappingNode {
		p.errorf(path, n, "must be a mapping (lua: or file:) or the name of a shipped script, got %s", kindName(n))
		return s
	}
	m, ok := p.object(path, n, selectionFields)
	if !ok {
		return s
	}
	switch {
	case m["lua"] == nil && m["file"] == nil:
		p.errorf(path, n, "needs one of lua (the script) or file (a shipped script)")
	case m["lua"] != nil && m["file"] != nil:
		p.errorf(path, m["file"], "sets lua and file; use exactly one")
	}
	if v := m["lua"]; v != nil {
		s.Lua = p.selectionLua(path, v)
	}
	if v := m["file"]; v != nil {
		s.File = p.libraryFile(join(path, "file"), v)
	}
	if v := m["type"]; v != nil {
		s.Type = p.selectionType(join(path, "type"), v)
	}
	if v := m["args"]; v != nil {
		s.Args = p.selectionArgs(join(path, "args"), v)
	}
	return s
}

// libraryFile reads the name of a shipped script, "gpu" or "gpu.lua", and
// returns it with its ".lua".
func (p *parser) libraryFile(path string, n *yaml.Node) string {
	name, ok := p.str(path, n)
	switch {
	case !ok:
		return ""
	case strings.TrimSpace(name) == "":
		p.errorf(path, n, "must not be empty")
		return ""
	}
	if !strings.HasSuffix(name, ".lua") {
		name += ".lua"
	}
	if _, ok := scripts.Library(name); ok {
		return name
	}
	names := scripts.LibraryNames()
	if s := p.suggest(name, names); s != "" {
		p.errorf(path, n, "unknown shipped script %q (did you mean %q?)", name, s)
	} else {
		p.errorf(path, n, "unknown shipped script %q (shipped: %s); put a script of your own in lua:",
			name, strings.Join(names, ", "))
	}
	return name
}

// selectionType reads static or dynamic (any case).
func (p *parser) selectionType(path string, n *yaml.Node) string {
	s, ok := p.str(path, n)
	if !ok {
		return api.SelectionStatic
	}
	for _, t := range []string{api.SelectionStatic, api.SelectionDynamic} {
		if strings.EqualFold(strings.TrimSpace(s), t) {
			return t
		}
	}
	p.errorf(path, n, "must be %s or %s, got %q", api.SelectionStatic, api.SelectionDynamic, s)
	return api.SelectionStatic
}

// selectionArgs reads the script's arguments: scalars, taken as the text
// they were written with (8GiB, 2, true).
func (p *parser) selectionArgs(path string, n *yaml.Node) []string {
	items, ok := p.list(path, n)
	if !ok || len(items) == 0 {
		return nil
	}
	args := make([]string, 0, len(items))
	for i, it := range items {
		ip := index(path, i)
		if r := resolve(it); r.Kind != yaml.ScalarNode || isNull(r) {
			p.errorf(ip, it, "must be a string, number or boolean, got %s", kindName(it))
			continue
		}
		if s, ok := p.text(ip, it); ok {
			args = append(args, s)
		}
	}
	return args
}

// selectionLua reads the source of a script and compiles it, so that a
// syntax error is refused at submission rather than failing on every node.
// path is the entry's ("tasks[0].selection[1]"); it names the script in
// compile errors.
func (p *parser) selectionLua(path string, n *yaml.Node) string {
	lp := join(path, "lua")
	src := p.source(lp, n)
	switch {
	case strings.TrimSpace(src) == "":
		return src
	case len(src) > scripts.MaxSourceBytes:
		p.errorf(lp, n, "is too long (%d bytes, at most %d)", len(src), scripts.MaxSourceBytes)
		return src
	}
	if !p.chargeCompile(lp, n, src) {
		return src
	}
	if ce := p.compile(src); ce != nil {
		named := *ce
		named.Script = path
		p.errorf(lp, scriptLine(resolve(n), named.Line), "does not compile: %s", named.Error())
	}
	return src
}

// chargeCompile reports whether src may be compiled within the job's
// bounds (MaxJobSelectionSources, MaxJobSelectionBytes). Beyond them it
// reports the problem once, at the first script over, and compiles nothing
// new.
func (p *parser) chargeCompile(path string, n *yaml.Node, src string) bool {
	if _, ok := p.compiled[src]; ok {
		return true
	}
	if p.overCompile {
		return false
	}
	if len(p.compiled) >= MaxJobSelectionSources || p.compiledBytes+len(src) > MaxJobSelectionBytes {
		p.overCompile = true
		p.errorf(path, n, "too many different selection scripts in one job (at most %d, %d bytes in all); "+
			"give a script arguments (args:), or share one through the job's selection or a YAML anchor",
			MaxJobSelectionSources, MaxJobSelectionBytes)
		return false
	}
	p.compiledBytes += len(src)
	return true
}

// compile compiles src once per document (a script shared through YAML
// aliases or the job's default is compiled once). It returns nil when src
// compiles.
func (p *parser) compile(src string) *scripts.CompileError {
	if ce, ok := p.compiled[src]; ok {
		return ce
	}
	var ce *scripts.CompileError
	if _, err := scripts.Compile("script", src); err != nil && !errors.As(err, &ce) {
		ce = &scripts.CompileError{Script: "script", Msg: err.Error()}
	}
	if p.compiled == nil {
		p.compiled = map[string]*scripts.CompileError{}
	}
	p.compiled[src] = ce
	return ce
}

// scriptLine returns a node that carries the document line of line 'line'
// of the script in n, for withLine. Only literal block scalars (lua: |)
// keep the script's lines as they are in the document; for any other
// style the value's own line is the best we know.
func scriptLine(n *yaml.Node, line int) *yaml.Node {
	if n.Style&yaml.LiteralStyle == 0 || line <= 0 {
		return n
	}
	last := strings.Count(strings.TrimSuffix(n.Value, "\n"), "\n") + 1
	return &yaml.Node{Line: n.Line + min(line, last)}
}

// applySelectionDefault gives the job's selection scripts to the tasks
// that list none; a task's own list, even an empty one, replaces them.
// Afterwards an empty list is nil, as in the canonical form.
func applySelectionDefault(tasks []api.TaskSpec, def []api.SelectionScript) {
	for i := range tasks {
		t := &tasks[i]
		if t.Selection == nil && len(def) > 0 {
			t.Selection = cloneSelection(def)
		}
		if len(t.Selection) == 0 {
			t.Selection = nil
		}
	}
}

// cloneSelection copies scripts so that tasks share no slices.
func cloneSelection(def []api.SelectionScript) []api.SelectionScript {
	out := slices.Clone(def)
	for i := range out {
		out[i].Args = slices.Clone(out[i].Args)
	}
	return out
}
