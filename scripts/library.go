package scripts

import (
	"embed"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// The ready-made selection scripts that ship with the binary
// (library/*.lua). Each starts with a comment saying what it checks and
// which arguments it takes.
//
//go:embed library/*.lua
var libraryFS embed.FS

// Library returns the source of a shipped selection script, by name with
// or without ".lua" ("gpu" or "gpu.lua").
func Library(name string) (src string, ok bool) {
	if !strings.HasSuffix(name, ".lua") {
		name += ".lua"
	}
	if name != path.Base(name) {
		return "", false
	}
	b, err := libraryFS.ReadFile("library/" + name)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// LibraryNames lists the shipped selection scripts ("gpu.lua", ...),
// sorted.
func LibraryNames() []string {
	entries, err := fs.ReadDir(libraryFS, "library")
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}
