package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scripts"
)

// argList is a repeatable flag that keeps each value whole (a script
// argument may hold commas).
type argList []string

func (a *argList) String() string { return strings.Join(*a, " ") }

func (a *argList) Set(v string) error {
	*a = append(*a, v)
	return nil
}

// cmdScriptTest is `shrike script test`.
func cmdScriptTest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "script test", "FILE --node NAME [--arg A]... [--var K=V]... [--type static|dynamic] [--json]",
		"Evaluate a selection script against a live node (admins only) and print its\n"+
			"verdict, the reason, how long it took and the node facts it saw. FILE is a\n"+
			"local Lua file, or the name of a shipped script (gpu.lua, see `shrike script\n"+
			"ls`) when no such file exists. --arg gives the script's arguments (args), in\n"+
			"order; --var the job variables it sees (vars). A static script runs on the\n"+
			"server against the node's reported facts; a dynamic one on the node itself.",
		"shrike script test gpu.lua --node gpu-7 --arg A100 --arg 2")
	server := serverFlag(fs)
	node := fs.String("node", "", "the node to evaluate the script on (required)")
	var scriptArgs argList
	fs.Var(&scriptArgs, "arg", "an argument of the script (repeatable, in order)")
	vars := varsFlag{}
	fs.Var(vars, "var", "a job variable the script sees, NAME=VALUE (repeatable)")
	typ := fs.String("type", "", "static (the default: evaluated on the server) or dynamic (on the node)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if *node == "" {
		return usageErrorf("script test: --node is required")
	}
	if _, err := parseNodeName(*node); err != nil {
		return err
	}
	if *typ != "" && *typ != api.SelectionStatic && *typ != api.SelectionDynamic {
		return usageErrorf("script test: --type must be static or dynamic, got %q", *typ)
	}
	script, err := readSelectionScript(pos[0])
	if err != nil {
		return err
	}
	script.Type, script.Args = *typ, scriptArgs
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	req := api.ScriptTestRequest{Script: script, Node: *node}
	if len(vars) > 0 {
		req.Vars = vars
	}
	res, err := c.TestScript(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, res)
	}
	printScriptResult(e.stdout, res)
	return nil
}

// readSelectionScript reads a local Lua file, or names the shipped script
// of that name when there is no such file.
func readSelectionScript(file string) (api.SelectionScript, error) {
	data, err := os.ReadFile(file)
	switch {
	case err == nil:
		return api.SelectionScript{Lua: string(data)}, nil
	case !errors.Is(err, fs.ErrNotExist):
		return api.SelectionScript{}, fmt.Errorf("reading the script: %w", err)
	}
	if _, ok := scripts.Library(file); ok {
		if !strings.HasSuffix(file, ".lua") {
			file += ".lua"
		}
		return api.SelectionScript{File: file}, nil
	}
	return api.SelectionScript{}, fmt.Errorf("no file %s, and no shipped script of that name (see 'shrike script ls')", file)
}

// printScriptResult writes a script test's verdict and the facts the
// script saw.
func printScriptResult(w io.Writer, res api.ScriptTestResult) {
	v := res.Verdict
	verdict := "selected"
	if !v.Selected {
		verdict = "not selected"
	}
	tw := newTable(w, "Script:", v.Script+" ("+orDash(v.Type)+")")
	row(tw, "Node:", res.Node)
	row(tw, "Verdict:", verdict)
	if !v.Selected {
		row(tw, "Reason:", orDash(v.Reason))
	}
	row(tw, "Duration:", time.Duration(res.Duration).String())
	row(tw, "Digest:", orDash(res.Digest))
	_ = tw.Flush()
	if len(res.Facts) == 0 {
		return
	}
	fmt.Fprintln(w, "\nFacts the script saw:")
	for _, line := range factLines("", res.Facts) {
		fmt.Fprintln(w, "  "+line)
	}
}

// factLines writes a facts table as sorted "key: value" lines; nested
// tables become dotted keys ("gpus.count: 1"), lists "[a, b]".
func factLines(prefix string, facts map[string]any) []string {
	keys := make([]string, 0, len(facts))
	for k := range facts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		key := prefix + k
		if m, ok := facts[k].(map[string]any); ok && len(m) > 0 {
			out = append(out, factLines(key+".", m)...)
			continue
		}
		out = append(out, key+": "+factValue(facts[k]))
	}
	return out
}

// factValue writes one fact's value.
func factValue(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" {
			return `""`
		}
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, item := range v {
			parts[i] = factValue(item)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		return "{}"
	case nil:
		return "null"
	}
	data, _ := json.Marshal(v)
	return string(data)
}
