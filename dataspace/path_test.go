package dataspace

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// escapeSpace is a space holding a directory, a file, and links that lead
// out of and within it; outside it lies a secret file.
func escapeSpace(t testing.TB) (*Space, string) {
	t.Helper()
	st := testStore(t, Options{NoSync: true})
	sp, err := st.Job(1, api.SpaceInput, "alice")
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret": "top secret"})
	writeFiles(t, sp.Dir(), map[string]string{"d/f.txt": "inside", "%2e%2e/x": "literal"})
	for link, target := range map[string]string{
		"out":      outside,
		"out-file": filepath.Join(outside, "secret"),
		"in":       filepath.Join(sp.Dir(), "d"),
		"d/rel-up": "../../../..",
	} {
		if err := os.Symlink(target, filepath.Join(sp.Dir(), filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	return sp, outside
}

func TestResolveRefusesEscapes(t *testing.T) {
	sp, _ := escapeSpace(t)
	for _, tc := range []struct {
		rel    string
		want   string // the resolved path relative to the root; "" when refused
		reason string // part of the error message when refused
	}{
		{"", ".", ""},
		{".", ".", ""},
		{"d/f.txt", "d/f.txt", ""},
		{"d/", "d", ""},
		{"new/dir/file", "new/dir/file", ""},
		{"%2e%2e/x", "%2e%2e/x", ""},             // an encoded dot-dot is just a name here
		{"..\u2215x", "..\u2215x", ""},           // a division slash is not a slash
		{"\uff0e\uff0e/x", "\uff0e\uff0e/x", ""}, // nor are fullwidth dots dots
		{"..", "", `".." segment`},
		{"../secret", "", `".." segment`},
		{"d/../../secret", "", `".." segment`},
		{"d/..", "", `".." segment`},
		{"/etc/passwd", "", "absolute"},
		{"//etc", "", "absolute"},
		{"a\x00b", "", "NUL"},
		{"d\\..\\..\\secret", "", "backslash"},
		{"\xc0\xae\xc0\xae/secret", "", "UTF-8"}, // overlong dots
		{"d/\xff", "", "UTF-8"},
		{"a\nb", "", "control"},
		{"a\u0085b", "", "control"},
		{"a/./b", "", `"." segment`},
		{"a//b", "", "empty segment"},
		{".shrike.sum.x", "", "reserved"},
		{"d/.shrike.part.y", "", "reserved"},
		{"out/secret", "", "symbolic link"},
		{"out", "", "symbolic link"},
		{"out-file", "", "symbolic link"},
		{"in/f.txt", "", "symbolic link"},
		{"d/rel-up/etc/passwd", "", "symbolic link"},
		{"d/f.txt/x", "", "not a directory"},
		{strings.Repeat("a", 256), "", "255"},
		{strings.Repeat("a/", 2049), "", "4096"},
	} {
		got, err := sp.Resolve(tc.rel)
		if tc.want != "" {
			if err != nil {
				t.Errorf("Resolve(%q): %v", tc.rel, err)
			} else if want := filepath.Join(sp.Dir(), filepath.FromSlash(tc.want)); got != want {
				t.Errorf("Resolve(%q) = %q, want %q", tc.rel, got, want)
			}
			continue
		}
		if err == nil {
			t.Errorf("Resolve(%q) = %q, want an error", tc.rel, got)
			continue
		}
		if !errors.Is(err, ErrBadPath) && !errors.Is(err, ErrNotFound) {
			t.Errorf("Resolve(%q): %v is not ErrBadPath", tc.rel, err)
		}
		if api.CodeOf(err) == api.CodeInternal {
			t.Errorf("Resolve(%q): %v carries no API code", tc.rel, err)
		}
		if !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("Resolve(%q): %q does not say %q", tc.rel, err, tc.reason)
		}
	}
}

// Every method refuses the links, not only Resolve.
func TestSpaceMethodsRefuseLinks(t *testing.T) {
	sp, outside := escapeSpace(t)
	ctx := t.Context()
	if _, err := sp.Open("out/secret"); !errors.Is(err, ErrBadPath) {
		t.Errorf("Open through a link: %v", err)
	}
	if _, err := sp.Stat("out-file"); !errors.Is(err, ErrBadPath) {
		t.Errorf("Stat of a link: %v", err)
	}
	if _, err := sp.List("out"); !errors.Is(err, ErrBadPath) {
		t.Errorf("List of a link: %v", err)
	}
	if _, err := sp.Put(ctx, "out/new", strings.NewReader("x"), PutOptions{}); !errors.Is(err, ErrBadPath) {
		t.Errorf("Put through a link: %v", err)
	}
	if err := sp.Remove("out/secret"); !errors.Is(err, ErrBadPath) {
		t.Errorf("Remove through a link: %v", err)
	}
	if err := sp.Move("d/f.txt", "out/stolen"); !errors.Is(err, ErrBadPath) {
		t.Errorf("Move through a link: %v", err)
	}
	if err := sp.Mkdir("in/x"); !errors.Is(err, ErrBadPath) {
		t.Errorf("Mkdir through a link: %v", err)
	}
	entries, err := sp.Walk(Selector{})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		paths = append(paths, e.Path)
	}
	if got := strings.Join(paths, ","); got != "%2e%2e/x,d/f.txt" {
		t.Errorf("Walk listed %s, want only the two real files", got)
	}
	if got := readTree(t, outside); len(got) != 1 || got["secret"] != "top secret" {
		t.Errorf("the outside directory changed: %v", got)
	}
}

// The HTTP routes refuse encoded escapes, and never send the secret.
func TestHTTPRefusesEncodedEscapes(t *testing.T) {
	sp, _ := escapeSpace(t)
	ts := newTransferServer(t, map[string]*Space{"input": sp})
	for _, p := range []string{
		"%2fsecret", // "/secret" after the route: inside the space, so 404 below
		"..%2f..%2fsecret",
		"%2e%2e/%2e%2e/secret",
		"%2E%2E%2F%2E%2E%2Fsecret",
		"d/..%2f..%2f..%2fsecret",
		"out/secret",
		"out-file",
		"in/f.txt",
		"a%00b",
		"d%5c..%5c..%5csecret",
		"%c0%ae%c0%ae/secret",
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/transfer/input/"+p, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := http.StatusBadRequest
		if p == "%2fsecret" {
			want = http.StatusNotFound
		}
		if resp.StatusCode != want {
			t.Errorf("GET %s: %s, want %d (%s)", p, resp.Status, want, body)
		}
		if strings.Contains(string(body), "top secret") {
			t.Errorf("GET %s sent the secret", p)
		}
	}
}

// FuzzResolve checks that no path resolves outside the space root or
// through a link. Run: go test -run=^$ -fuzz=FuzzResolve -fuzztime=30s ./dataspace/
func FuzzResolve(f *testing.F) {
	sp, _ := escapeSpace(f)
	for _, s := range []string{"", "d/f.txt", "../x", "/etc", "a\x00", "out/secret", "in/f.txt",
		"d/rel-up/x", "%2e%2e/x", "a\\b", "\xc0\xae", "d/./x", "a//b", "d/", "./", "...", ". ./x"} {
		f.Add(s)
	}
	root := sp.Dir()
	f.Fuzz(func(t *testing.T, rel string) {
		p, err := sp.Resolve(rel)
		if err != nil {
			if !errors.Is(err, ErrBadPath) && !errors.Is(err, ErrNotFound) {
				t.Fatalf("Resolve(%q): unexpected error %v", rel, err)
			}
			return
		}
		if p != root && !strings.HasPrefix(p, root+string(filepath.Separator)) {
			t.Fatalf("Resolve(%q) = %q, outside %q", rel, p, root)
		}
		r, err := filepath.Rel(root, p)
		if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			t.Fatalf("Resolve(%q) = %q escapes %q", rel, p, root)
		}
		cur := root
		for _, s := range strings.Split(r, string(filepath.Separator)) {
			if s == "." {
				break
			}
			cur = filepath.Join(cur, s)
			fi, err := os.Lstat(cur)
			if err != nil {
				break
			}
			if fi.Mode()&os.ModeSymlink != 0 {
				t.Fatalf("Resolve(%q) = %q crosses the link %q", rel, p, cur)
			}
		}
	})
}
