package dataspace

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func paths(entries []api.SpaceEntry) string {
	var ps []string
	for _, e := range entries {
		ps = append(ps, e.Path)
	}
	return strings.Join(ps, ",")
}

// A sub-space works like a space rooted at its folder.
func TestSubStaysInside(t *testing.T) {
	st := testStore(t, Options{NoSync: true})
	user, err := st.UserOrGlobal(api.SpaceUser, "alice")
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, user, "top.txt", []byte("top"))
	sub, err := user.Sub("proj/run1/")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(user.Dir(), "proj", "run1"); sub.Dir() != want {
		t.Errorf("Dir = %q, want %q", sub.Dir(), want)
	}
	if sub.Name() != api.SpaceUser || sub.Owner() != "alice" {
		t.Errorf("Name, Owner = %q, %q; want user, alice", sub.Name(), sub.Owner())
	}
	mustPut(t, sub, "a/b.txt", []byte("inside"))
	if got := readTree(t, user.Dir()); got["proj/run1/a/b.txt"] != "inside" {
		t.Errorf("the user space holds %v", got)
	}
	list, err := sub.List("")
	if err != nil || paths(list) != "a" {
		t.Errorf("List = %s, %v; want a", paths(list), err)
	}
	walked, err := sub.Walk(Selector{})
	if err != nil || paths(walked) != "a/b.txt" {
		t.Errorf("Walk = %s, %v; want a/b.txt", paths(walked), err)
	}
	if f, err := sub.Open("a/b.txt"); err != nil {
		t.Errorf("Open: %v", err)
	} else {
		f.Close()
	}
	// A sub-space of a sub-space.
	deeper, err := sub.Sub("a")
	if err != nil {
		t.Fatal(err)
	}
	walked, err = deeper.Walk(Selector{})
	if err != nil || paths(walked) != "b.txt" {
		t.Errorf("Walk of the deeper sub-space = %s, %v; want b.txt", paths(walked), err)
	}
	if same, err := sub.Sub(""); err != nil || same.Dir() != sub.Dir() {
		t.Errorf(`Sub("") = %v, %v; want the same root`, same, err)
	}
}

func TestSubRefusesEscapes(t *testing.T) {
	st := testStore(t, Options{NoSync: true})
	user, _ := st.UserOrGlobal(api.SpaceUser, "alice")
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret": "top secret"})
	writeFiles(t, user.Dir(), map[string]string{"file": "x"})
	if err := os.Symlink(outside, filepath.Join(user.Dir(), "link")); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]error{
		"..":        ErrBadPath,
		"../bob":    ErrBadPath,
		"/etc":      ErrBadPath,
		"link":      ErrBadPath,
		"link/deep": ErrBadPath,
		"file":      ErrExists,
	} {
		if _, err := user.Sub(rel); !errors.Is(err, want) {
			t.Errorf("Sub(%q): %v, want %v", rel, err, want)
		}
	}

	sub, err := user.Sub("proj")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := sub.Resolve("../file"); !errors.Is(err, ErrBadPath) {
		t.Errorf("Resolve(../file): %v", err)
	}
	if _, err := sub.Put(ctx, "../escaped", strings.NewReader("x"), PutOptions{}); !errors.Is(err, ErrBadPath) {
		t.Errorf("Put(../escaped): %v", err)
	}
	// The sub-root replaced by a link to the outside: every access refused.
	if err := os.Remove(sub.Dir()); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, sub.Dir()); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Put(ctx, "stolen", strings.NewReader("x"), PutOptions{}); !errors.Is(err, ErrBadPath) {
		t.Errorf("Put through a linked sub-root: %v", err)
	}
	if _, err := sub.Open("secret"); !errors.Is(err, ErrBadPath) {
		t.Errorf("Open through a linked sub-root: %v", err)
	}
	if _, err := sub.List(""); !errors.Is(err, ErrBadPath) {
		t.Errorf("List of a linked sub-root: %v", err)
	}
	if _, err := sub.Walk(Selector{}); !errors.Is(err, ErrBadPath) {
		t.Errorf("Walk of a linked sub-root: %v", err)
	}
	if _, err := sub.openRoot(); err == nil {
		t.Errorf("openRoot of a linked sub-root succeeded")
	}
	if got := readTree(t, outside); len(got) != 1 || got["secret"] != "top secret" {
		t.Errorf("the outside directory changed: %v", got)
	}
}

func TestSubCountsAgainstTheOwnersQuota(t *testing.T) {
	st := testStore(t, Options{UserQuota: 1000, NoSync: true})
	user, _ := st.UserOrGlobal(api.SpaceUser, "alice")
	sub, err := user.Sub("results")
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, sub, "a", make([]byte, 600))
	if n, err := st.Usage("alice"); err != nil || n != 600 {
		t.Fatalf("Usage = %d, %v; want 600", n, err)
	}
	if _, err := user.Put(t.Context(), "b", bytes.NewReader(make([]byte, 500)), PutOptions{}); !errors.Is(err, ErrQuota) {
		t.Errorf("Put over the quota beside the sub-space: %v", err)
	}
	if _, err := sub.Put(t.Context(), "c", bytes.NewReader(make([]byte, 500)), PutOptions{}); !errors.Is(err, ErrQuota) {
		t.Errorf("Put over the quota in the sub-space: %v", err)
	}
	if err := sub.Remove("a"); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Usage("alice"); n != 0 {
		t.Errorf("Usage after Remove = %d, want 0", n)
	}
	// The GLOBAL space has no quota, nor do its sub-spaces.
	global, _ := st.UserOrGlobal(api.SpaceGlobal, "")
	gsub, err := global.Sub("shared")
	if err != nil {
		t.Fatal(err)
	}
	if gsub.Owner() != "" {
		t.Errorf("a GLOBAL sub-space has owner %q", gsub.Owner())
	}
	mustPut(t, gsub, "big", make([]byte, 5000))
}

func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		ref, space, rel, err string
	}{
		{"user:", "user", "", ""},
		{"user:.", "user", "", ""},
		{"global:ref/genome/", "global", "ref/genome", ""},
		{"user:a b/ü", "user", "a b/ü", ""},
		{"", "", "", "want user:PATH or global:PATH"},
		{"user", "", "", "want user:PATH or global:PATH"},
		{"output:x", "", "", "want user:PATH or global:PATH"},
		{"User:x", "", "", "want user:PATH or global:PATH"},
		{"user:/abs", "", "", "absolute"},
		{"user:../bob", "", "", `".." segment`},
		{"global:a\\b", "", "", "backslash"},
		{"user:a\x00", "", "", "NUL"},
		{"user:a\tb", "", "", "control"},
		{"user:.shrike.x", "", "", "reserved"},
	} {
		space, rel, err := ParseRef(tc.ref)
		if tc.err == "" {
			if err != nil || space != tc.space || rel != tc.rel {
				t.Errorf("ParseRef(%q) = %q, %q, %v; want %q, %q", tc.ref, space, rel, err, tc.space, tc.rel)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrBadPath) || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseRef(%q): %v, want ErrBadPath saying %q", tc.ref, err, tc.err)
		}
	}
	if err := ValidPath("a/b"); err != nil {
		t.Errorf("ValidPath(a/b): %v", err)
	}
	if err := ValidPath("a/../b"); !errors.Is(err, ErrBadPath) {
		t.Errorf("ValidPath(a/../b): %v", err)
	}
}
