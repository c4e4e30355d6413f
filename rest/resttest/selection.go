package resttest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/scripts"
)

// reasonFalse is a script verdict's reason when it returned false.
const reasonFalse = "returned false"

// newScriptEngine returns the fake's selection engine: the real one, with
// a time budget generous enough for a loaded test machine.
func newScriptEngine() *scripts.Engine {
	e, err := scripts.NewEngine(scripts.Options{Timeout: 10 * time.Second})
	if err != nil {
		panic(fmt.Sprintf("resttest: selection engine: %v", err))
	}
	return e
}

// TestScript implements rest.Backend (admins only): it checks the request
// (the node, exactly one of lua and file, a known library file, the type,
// a script that compiles), then evaluates the script against the node's
// facts. Static scripts report the facts they saw.
func (f *FakeBackend) TestScript(ctx context.Context, p rest.Principal, req api.ScriptTestRequest) (api.ScriptTestResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return api.ScriptTestResult{}, f.fail
	}
	if !p.IsAdmin() {
		return api.ScriptTestResult{}, api.Errorf(api.CodeForbidden, "only admins may test selection scripts")
	}
	errs := checkScript(req.Script, "script")
	if req.Node == "" {
		errs = append(errs, api.FieldError{Field: "node", Message: "required"})
	}
	if len(errs) > 0 {
		return api.ScriptTestResult{}, api.Invalid(errs)
	}
	i, err := f.nodeLocked(req.Node)
	if err != nil {
		return api.ScriptTestResult{}, err
	}
	src, _ := scriptSource(req.Script)
	label := req.Script.Label(0)
	compiled, err := f.engine.Compile(label, src)
	if err != nil {
		return api.ScriptTestResult{}, api.Invalid([]api.FieldError{{Field: "script.lua", Message: err.Error()}})
	}
	view := f.nodeViewLocked(f.nodes[i])
	start := time.Now()
	v := f.engine.Evaluate(ctx, compiled, view, req.Vars, req.Script.Args)
	res := api.ScriptTestResult{
		Node:     req.Node,
		Verdict:  scriptVerdict(label, req.Script.Type, v),
		Digest:   compiled.Digest,
		Duration: api.Duration(time.Since(start)),
	}
	if req.Script.Type != api.SelectionDynamic {
		res.Facts = factsTable(view)
	}
	return res, nil
}

// checkSelection checks the selection scripts of every task of a job.
func checkSelection(spec api.JobSpec) []api.FieldError {
	var errs []api.FieldError
	for i, t := range spec.Tasks {
		for j, s := range t.Selection {
			errs = append(errs, checkScript(s, fmt.Sprintf("tasks[%d].selection[%d]", i, j))...)
		}
	}
	return errs
}

// checkScript checks one selection script; field is its path.
func checkScript(s api.SelectionScript, field string) []api.FieldError {
	var errs []api.FieldError
	switch {
	case (s.Lua == "") == (s.File == ""):
		errs = append(errs, api.FieldError{Field: field, Message: "want exactly one of lua and file"})
	case s.File != "":
		if _, ok := scripts.Library(s.File); !ok {
			errs = append(errs, api.FieldError{Field: field + ".file", Message: fmt.Sprintf(
				"unknown library script %q: want one of %s", s.File, strings.Join(scripts.LibraryNames(), ", "))})
		}
	}
	if s.Type != "" && s.Type != api.SelectionStatic && s.Type != api.SelectionDynamic {
		errs = append(errs, api.FieldError{Field: field + ".type", Message: fmt.Sprintf(
			"unknown type %q: want static or dynamic", s.Type)})
	}
	return errs
}

// scriptSource is a script's Lua source: its own, or the library file's.
func scriptSource(s api.SelectionScript) (string, bool) {
	if s.File != "" {
		return scripts.Library(s.File)
	}
	return s.Lua, true
}

// evaluateLocked runs one selection script of a task on node n. A static
// verdict comes from the cache while n's facts are unchanged.
func (f *FakeBackend) evaluateLocked(ctx context.Context, n api.Node, s api.SelectionScript, label string, vars map[string]string) api.ScriptVerdict {
	typ := s.Type
	if typ == "" {
		typ = api.SelectionStatic
	}
	src, ok := scriptSource(s)
	if !ok {
		return api.ScriptVerdict{Script: label, Type: typ, Reason: "unknown library script " + s.File}
	}
	compiled, err := f.engine.Compile(label, src)
	if err != nil {
		return api.ScriptVerdict{Script: label, Type: typ, Reason: err.Error()}
	}
	sel := scripts.NewSelection(compiled, vars, s.Args)
	if typ == api.SelectionStatic {
		if v, ok := f.verdicts.Get(sel.Key(), n.Name, f.factsGen); ok {
			sv := scriptVerdict(label, typ, v)
			sv.Cached = true
			return sv
		}
	}
	v := f.engine.Evaluate(ctx, compiled, f.nodeViewLocked(n), vars, s.Args)
	if typ == api.SelectionStatic {
		f.verdicts.Put(sel.Key(), n.Name, f.factsGen, v)
	}
	return scriptVerdict(label, typ, v)
}

// scriptVerdict turns the engine's verdict into the API's.
func scriptVerdict(label, typ string, v scripts.Verdict) api.ScriptVerdict {
	if typ == "" {
		typ = api.SelectionStatic
	}
	sv := api.ScriptVerdict{Script: label, Type: typ, Selected: v.Selected}
	switch {
	case v.Selected:
	case v.Reason == scripts.ReasonFalse:
		sv.Reason = reasonFalse
	case v.Err != "":
		sv.Reason = v.Err
	default:
		sv.Reason = v.Reason
	}
	return sv
}

// factsLocked is what node n reports: its fields, with SetNodeFacts'
// GPUs, IPs, disk and custom facts.
func (f *FakeBackend) factsLocked(n api.Node) api.NodeFacts {
	extra := f.facts[n.Name]
	return api.NodeFacts{
		Hostname: n.Hostname, OS: n.OS, Arch: n.Arch, CPUs: n.CPUs, Slots: n.Slots,
		MemoryTotal: n.Memory, MemoryFree: n.MemoryFree, Load1: n.Load1, Tags: n.Tags, Version: n.Version,
		DiskFree: extra.DiskFree, DiskTotal: extra.DiskTotal, GPUs: extra.GPUs, IPs: extra.IPs, Custom: extra.Custom,
	}
}

// nodeViewLocked is the node table a selection script sees for n.
func (f *FakeBackend) nodeViewLocked(n api.Node) scripts.NodeView {
	v := scripts.NodeViewFromFacts(n.Name, f.factsLocked(n))
	v.Source = n.Source
	return v
}

// factsTable writes a node view as the JSON-able table a script sees.
func factsTable(v scripts.NodeView) map[string]any {
	return map[string]any{
		"name": v.Name, "hostname": v.Hostname, "os": v.OS, "arch": v.Arch,
		"cpus": v.CPUs, "mem_total": v.MemTotal, "mem_free": v.MemFree, "disk_free": v.DiskFree,
		"load1": v.Load1, "gpus": map[string]any{"count": v.GPUs.Count, "models": orEmpty(v.GPUs.Models)},
		"tags": orEmpty(v.Tags), "source": v.Source, "ip": v.IP, "idle_seconds": v.IdleSeconds,
		"facts": v.Facts,
	}
}

// orEmpty is a list that encodes as [] rather than null.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
