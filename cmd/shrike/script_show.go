package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/shrike-grid/shrike/scripts"
)

// cmdScriptShow is `shrike script show`.
func cmdScriptShow(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "script show", "NAME",
		"Print the source of a shipped selection script (\"gpu\" or \"gpu.lua\"); its\n"+
			"header comment says what it checks and which arguments it takes.",
		"shrike script show gpu.lua")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	src, ok := scripts.Library(pos[0])
	if !ok {
		return fmt.Errorf("no shipped selection script %q: want one of %s",
			pos[0], strings.Join(scripts.LibraryNames(), ", "))
	}
	fmt.Fprint(e.stdout, src)
	return nil
}
