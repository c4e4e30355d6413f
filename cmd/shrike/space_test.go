package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
)

// newSpaceCLI is a cli whose backend has real data spaces.
func newSpaceCLI(t *testing.T) *cli {
	t.Helper()
	c := newCLI(t)
	if err := c.fake.OpenSpaces(t.TempDir(), dataspace.Options{}); err != nil {
		t.Fatal(err)
	}
	return c
}

// writeTree creates files (path → content) under dir; a path ending in
// "/" is an empty directory.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns the files under dir (path → content) and its empty
// directories (path ending in "/").
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if ents, _ := os.ReadDir(p); len(ents) == 0 {
				out[rel+"/"] = ""
			}
			return nil
		}
		data, err := os.ReadFile(p)
		out[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseSpaceRef(t *testing.T) {
	tests := map[string]spaceRef{
		"data/a.csv":      {space: "user", path: "data/a.csv"},
		"user:data/":      {space: "user", path: "data", dir: true},
		"global:":         {space: "global", dir: true},
		"global:/ref/x":   {space: "global", path: "ref/x"},
		"":                {space: "user", dir: true},
		"user:a:b":        {space: "user", path: "a:b"},
		"dir/with:colon":  {space: "user", path: "dir/with:colon"},
		"/":               {space: "user", dir: true},
		"global:ref/dir/": {space: "global", path: "ref/dir", dir: true},
	}
	for arg, want := range tests {
		got, err := parseSpaceRef(arg)
		if err != nil || got != want {
			t.Errorf("parseSpaceRef(%q) = %+v, %v; want %+v", arg, got, err, want)
		}
	}
	for _, bad := range []string{"globl:x", "input:x", "a:b"} {
		if _, err := parseSpaceRef(bad); exitCode(err) != exitUsage {
			t.Errorf("parseSpaceRef(%q): err %v, want a usage error", bad, err)
		}
	}
}

func TestSpacePutGetFile(t *testing.T) {
	c := newSpaceCLI(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"hello.txt": "hello, space\n"})
	local := filepath.Join(dir, "hello.txt")

	if out := c.mustRun("space", "put", local); !strings.Contains(out, "Uploaded 1 file (13 B) to user:hello.txt") {
		t.Errorf("put said %q", out)
	}
	c.mustRun("space", "put", local, "user:docs/renamed.txt")
	c.mustRun("space", "mkdir", "archive")
	c.mustRun("space", "put", local, "archive") // an existing directory takes it in

	out := c.mustRun("space", "ls")
	for _, want := range []string{"SIZE", "hello.txt", "docs/", "archive/", "13 B"} {
		if !strings.Contains(out, want) {
			t.Errorf("ls lacks %q:\n%s", want, out)
		}
	}
	var list api.SpaceList
	if err := json.Unmarshal([]byte(c.mustRun("space", "ls", "--json", "user:archive/")), &list); err != nil ||
		len(list.Entries) != 1 || list.Entries[0].Path != "archive/hello.txt" {
		t.Errorf("ls --json = %+v, %v", list, err)
	}
	if out := c.mustRun("space", "ls", "docs/renamed.txt"); !strings.Contains(out, "docs/renamed.txt") {
		t.Errorf("ls of a file:\n%s", out)
	}

	if out := c.mustRun("space", "get", "user:docs/renamed.txt", "-"); out != "hello, space\n" {
		t.Errorf("get - = %q", out)
	}
	dest := t.TempDir()
	c.mustRun("space", "get", "docs/renamed.txt", filepath.Join(dest, "copy.txt"))
	c.mustRun("space", "get", "archive/hello.txt", dest) // into an existing directory
	if got := readTree(t, dest); got["copy.txt"] != "hello, space\n" || got["hello.txt"] != "hello, space\n" || len(got) != 2 {
		t.Errorf("downloaded %v", got)
	}

	c.stdin = "from standard input"
	c.mustRun("space", "put", "-", "user:stdin.txt")
	if out := c.mustRun("space", "get", "stdin.txt", "-"); out != c.stdin {
		t.Errorf("stdin upload = %q", out)
	}
	if code, _, errOut := c.run("space", "get", "nope.txt", dest); code != exitErr || !strings.Contains(errOut, "nope.txt") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

func TestSpacePutGetTree(t *testing.T) {
	c := newSpaceCLI(t)
	src := filepath.Join(t.TempDir(), "inputs")
	tree := map[string]string{"a.csv": "1,2\n", "sub/b.csv": "3,4\n", "sub/deep/c.bin": "\x00\x01", "empty/": ""}
	writeTree(t, src, tree)

	if out := c.mustRun("space", "put", src, "user:runs/"); !strings.Contains(out, "Uploaded 3 files") ||
		!strings.Contains(out, "user:runs/inputs") {
		t.Errorf("put said %q", out)
	}
	out := c.mustRun("space", "ls", "-r", "runs")
	for _, want := range []string{"runs/inputs/a.csv", "runs/inputs/sub/b.csv", "runs/inputs/sub/deep/c.bin"} {
		if !strings.Contains(out, want) {
			t.Errorf("ls -r lacks %q:\n%s", want, out)
		}
	}

	// A new LOCAL becomes the directory; an existing one takes it in.
	fresh := filepath.Join(t.TempDir(), "fresh")
	c.mustRun("space", "get", "user:runs/inputs", fresh)
	want := map[string]string{"a.csv": "1,2\n", "sub/b.csv": "3,4\n", "sub/deep/c.bin": "\x00\x01"}
	if got := readTree(t, fresh); !maps.Equal(got, want) {
		t.Errorf("get into a new directory: %v, want %v", got, want)
	}
	existing := t.TempDir()
	c.mustRun("space", "get", "runs/", existing)
	if got := readTree(t, filepath.Join(existing, "runs", "inputs")); !maps.Equal(got, want) {
		t.Errorf("get into an existing directory: %v", got)
	}
	if code, _, _ := c.run("space", "get", "runs", "-"); code != exitUsage {
		t.Errorf("get of a directory to stdout: exit %d, want %d", code, exitUsage)
	}
}

func TestSpaceRmMvMkdir(t *testing.T) {
	c := newSpaceCLI(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"f.txt": "f"})
	c.mustRun("space", "put", filepath.Join(dir, "f.txt"), "user:a/f.txt")
	if out := c.mustRun("space", "mkdir", "user:b/c"); out != "Made user:b/c/.\n" {
		t.Errorf("mkdir said %q", out)
	}
	if out := c.mustRun("space", "mv", "a/f.txt", "b/c"); out != "Moved user:a/f.txt to user:b/c/f.txt.\n" {
		t.Errorf("mv into a directory said %q", out)
	}
	c.mustRun("space", "mv", "b/c/f.txt", "b/g.txt")
	if out := c.mustRun("space", "get", "b/g.txt", "-"); out != "f" {
		t.Errorf("moved file = %q", out)
	}
	if code, _, errOut := c.run("space", "rm", "b"); code != exitErr || !strings.Contains(errOut, "-r") {
		t.Errorf("rm of a full directory: exit %d, stderr %q", code, errOut)
	}
	c.mustRun("space", "rm", "b/g.txt")
	c.mustRun("space", "rm", "-r", "user:b/")
	c.mustRun("space", "rm", "a")
	if out := c.mustRun("space", "ls", "--json"); !strings.Contains(out, `"entries": []`) {
		t.Errorf("space not empty:\n%s", out)
	}
	for _, args := range [][]string{
		{"space", "mv", "user:x", "global:x"},
		{"space", "rm", "user:"},
		{"space", "mkdir", "global:"},
		{"space", "ls", "a", "b"},
		{"space", "put"},
		{"space", "get", "globl:x"},
	} {
		if code, _, _ := c.run(args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestSpaceGlobalWrites(t *testing.T) {
	c := newSpaceCLI(t)
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"ref.fa": "ACGT"})
	if code, _, errOut := c.run("space", "put", filepath.Join(dir, "ref.fa"), "global:"); code != exitErr ||
		!strings.Contains(errOut, "only admins") {
		t.Errorf("user writing global: exit %d, stderr %q", code, errOut)
	}
	alice := c.vars[envToken]
	c.vars[envToken] = c.adminTok
	c.mustRun("space", "put", filepath.Join(dir, "ref.fa"), "global:genomes/")
	c.vars[envToken] = alice
	if out := c.mustRun("space", "get", "global:genomes/ref.fa", "-"); out != "ACGT" {
		t.Errorf("global read = %q", out)
	}
}

func TestSpacePutProgressBar(t *testing.T) {
	c := newSpaceCLI(t)
	c.terminal = true
	dir := t.TempDir()
	big := bytes.Repeat([]byte("x"), byteBarMin+1)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	out := c.mustRun("space", "put", filepath.Join(dir, "big.bin"))
	if !strings.Contains(out, "\r["+strings.Repeat("#", progressWidth)+"]") || !strings.Contains(out, "4.0 MiB/4.0 MiB  user:big.bin") {
		t.Errorf("no finished progress bar in %q", out[max(0, len(out)-200):])
	}
	c.terminal = false
	if out := c.mustRun("space", "get", "big.bin", dir); strings.Contains(out, "[") {
		t.Errorf("progress bar without a terminal: %q", out)
	}
}

func TestRenderBytes(t *testing.T) {
	if got := renderBytes(5<<20, 10<<20, "user:x", 10); got != "[#####.....]  5.0 MiB/10.0 MiB  user:x" {
		t.Errorf("renderBytes = %q", got)
	}
	if got := renderBytes(0, 0, "e", 4); got != "[....]  0 B/0 B  e" {
		t.Errorf("renderBytes of nothing = %q", got)
	}
}
