package main

import (
	"context"
	"strings"

	"github.com/shrike-grid/shrike/scripts"
)

// libraryScript is a shipped selection script as `script ls` lists it.
type libraryScript struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Arguments   string `json:"arguments,omitempty"`
}

// cmdScriptLs is `shrike script ls`.
func cmdScriptLs(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "script ls", "[--json]",
		"List the selection scripts that ship with shrike: a task refers to one with\n"+
			"`selection: [{file: gpu.lua, args: [A100]}]`. `shrike script show NAME`\n"+
			"prints one, with the arguments it takes.",
		"shrike script ls")
	asJSON := fs.Bool("json", false, "print the scripts, their descriptions and arguments as JSON")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	list := libraryScripts()
	if *asJSON {
		return printJSON(e.stdout, list)
	}
	tw := newTable(e.stdout, "SCRIPT", "SELECTS WHEN")
	for _, s := range list {
		row(tw, s.Name, orDash(s.Description))
	}
	return tw.Flush()
}

// libraryScripts describes every shipped selection script from its
// header comment.
func libraryScripts() []libraryScript {
	names := scripts.LibraryNames()
	out := make([]libraryScript, 0, len(names))
	for _, name := range names {
		src, _ := scripts.Library(name)
		desc, argsHelp := scriptHeader(name, src)
		out = append(out, libraryScript{Name: name, Description: desc, Arguments: argsHelp})
	}
	return out
}

// scriptHeader reads the header comment of a shipped script:
//
//	-- gpu.lua: the node has a GPU.
//	-- Arguments (optional): a model substring such as "A100" (any case; "" for
//	-- any model), then the minimum number of GPUs (default 1).
//
// and returns its description ("the node has a GPU.") and what it says of
// the arguments, lines joined. Either is "" when missing.
func scriptHeader(name, src string) (desc, argsHelp string) {
	var lines []string
	for line := range strings.Lines(src) {
		text, ok := strings.CutPrefix(strings.TrimSpace(line), "--")
		if !ok {
			break
		}
		lines = append(lines, strings.TrimSpace(text))
	}
	if len(lines) == 0 {
		return "", ""
	}
	desc = strings.TrimPrefix(lines[0], name+":")
	var args []string
	for _, l := range lines[1:] {
		if len(args) == 0 {
			rest, ok := strings.CutPrefix(l, "Arguments")
			if !ok {
				continue
			}
			l = rest
		}
		args = append(args, l)
	}
	argsHelp = strings.TrimSpace(strings.Join(args, " "))
	if rest, ok := strings.CutPrefix(argsHelp, ":"); ok {
		argsHelp = strings.TrimSpace(rest)
	}
	return strings.TrimSpace(desc), argsHelp
}
