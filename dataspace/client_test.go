package dataspace

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// spacesOf opens the four spaces a job's token opens.
func spacesOf(t testing.TB, st *Store) map[string]*Space {
	t.Helper()
	out := map[string]*Space{}
	for _, name := range []string{api.SpaceGlobal, api.SpaceUser} {
		sp, err := st.UserOrGlobal(name, "alice")
		if err != nil {
			t.Fatal(err)
		}
		out[name] = sp
	}
	for _, name := range []string{api.SpaceInput, api.SpaceOutput} {
		sp, err := st.Job(42, name, "alice")
		if err != nil {
			t.Fatal(err)
		}
		out[name] = sp
	}
	return out
}

func TestPushPullRoundTrip(t *testing.T) {
	spaces := spacesOf(t, testStore(t, Options{NoSync: true}))
	ts := newTransferServer(t, spaces)
	var mu sync.Mutex
	var progress []string
	c := ts.client()
	c.Progress = func(msg string) { mu.Lock(); progress = append(progress, msg); mu.Unlock() }
	ctx := t.Context()

	src := t.TempDir()
	writeFiles(t, src, map[string]string{
		"a.csv":               "a",
		"data/b.csv":          "bb",
		"data/sub/c.csv":      "ccc",
		"data/tmp/d.csv":      "dddd",
		"data/notes.txt":      "notes",
		"odd name #1?.csv":    "odd",
		"data/empty.csv":      "",
		"data/x/y/z/deep.csv": strings.Repeat("z", 100_000),
	})
	n, err := c.Push(ctx, src, api.SpaceOutput, Selector{Include: []string{"**/*.csv"}, Exclude: []string{"data/tmp/"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.csv", "data/b.csv", "data/empty.csv", "data/sub/c.csv", "data/x/y/z/deep.csv", "odd name #1?.csv"}
	if n != len(want) {
		t.Errorf("pushed %d files, want %d", n, len(want))
	}
	entries, err := spaces[api.SpaceOutput].Walk(Selector{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Path)
		data, _ := os.ReadFile(filepath.Join(src, filepath.FromSlash(e.Path)))
		if e.SHA256 != sumOf(data) || e.Size != int64(len(data)) {
			t.Errorf("%s on the server: %+v", e.Path, e)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("server holds %v, want %v", got, want)
	}
	if !slices.Contains(progress, "pushed data/b.csv (2 B)") {
		t.Errorf("progress %q", progress)
	}

	// Pushing a large file again sends nothing: the server has it.
	big := randomBytes(5, 2<<20)
	writeFiles(t, src, map[string]string{"big.csv": string(big)})
	for i := range 2 {
		before := len(ts.log())
		if _, err := c.Push(ctx, src, api.SpaceUser, Selector{Include: []string{"big.csv"}}); err != nil {
			t.Fatal(err)
		}
		puts := 0
		for _, r := range ts.log()[before:] {
			if strings.HasPrefix(r, "PUT") {
				puts++
			}
		}
		if i > 0 && puts != 0 {
			t.Errorf("a second push sent %d PUTs", puts)
		}
	}
	if !slices.Contains(progress, "pushed big.csv (2.0 MiB, unchanged)") {
		t.Errorf("progress %q", progress)
	}

	dst := t.TempDir()
	n, err = c.Pull(ctx, api.SpaceOutput, Selector{Include: []string{"data/**"}, Exclude: []string{"**/c.csv"}}, dst, false)
	if err != nil {
		t.Fatal(err)
	}
	pulled := readTree(t, dst)
	wantPulled := map[string]string{"data/b.csv": "bb", "data/empty.csv": "", "data/x/y/z/deep.csv": strings.Repeat("z", 100_000)}
	if n != len(wantPulled) || fmt.Sprint(pulled) != fmt.Sprint(wantPulled) {
		t.Errorf("pulled %d: %v, want %v", n, pulled, wantPulled)
	}
	if !slices.Contains(progress, "pulled data/x/y/z/deep.csv (97.7 KiB)") {
		t.Errorf("progress %q", progress)
	}
	fi, err := os.Stat(filepath.Join(dst, "data/b.csv"))
	if se, _ := spaces[api.SpaceOutput].Stat("data/b.csv"); err != nil || !fi.ModTime().Equal(se.ModTime) {
		t.Errorf("pulled mtime %v, server %v (%v)", fi.ModTime(), se.ModTime, err)
	}
}

func TestPullNothing(t *testing.T) {
	spaces := spacesOf(t, testStore(t, Options{}))
	ts := newTransferServer(t, spaces)
	c := ts.client()
	mustPut(t, spaces[api.SpaceInput], "x.txt", []byte("x"))
	_, err := c.Pull(t.Context(), api.SpaceInput, Selector{Include: []string{"*.csv"}}, t.TempDir(), false)
	if err == nil || !strings.Contains(err.Error(), `no file in input matches include ["*.csv"]`) {
		t.Errorf("required pull of nothing: %v", err)
	}
	if n, err := c.Pull(t.Context(), api.SpaceInput, Selector{Include: []string{"*.csv"}}, t.TempDir(), true); n != 0 || err != nil {
		t.Errorf("optional pull of nothing: %d, %v", n, err)
	}
	if _, err := c.Pull(t.Context(), api.SpaceInput, Selector{Include: []string{"../x"}}, t.TempDir(), false); err == nil {
		t.Error("a bad pattern was accepted")
	}
	bad := ts.client()
	bad.Token = "wrong"
	_, err = bad.Pull(t.Context(), api.SpaceInput, Selector{}, t.TempDir(), false)
	if !api.IsCode(err, api.CodeUnauthorized) {
		t.Errorf("pull with a bad token: %v", err)
	}
}

func TestPushSymlinks(t *testing.T) {
	spaces := spacesOf(t, testStore(t, Options{}))
	ts := newTransferServer(t, spaces)
	c := ts.client()
	src, outside := t.TempDir(), t.TempDir()
	writeFiles(t, src, map[string]string{"real.txt": "real", "dir/f.txt": "f"})
	writeFiles(t, outside, map[string]string{"secret.txt": "secret"})
	for link, target := range map[string]string{"in.txt": "real.txt", "dirlink": "dir"} {
		if err := os.Symlink(target, filepath.Join(src, link)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.Push(t.Context(), src, api.SpaceUser, Selector{})
	if err != nil || n != 3 {
		t.Fatalf("Push = %d, %v; want 3 files", n, err)
	}
	want := map[string]string{"real.txt": "real", "in.txt": "real", "dir/f.txt": "f"} // links to directories are not followed
	if got := visible(readTree(t, spaces[api.SpaceUser].Dir())); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("server holds %v, want %v", got, want)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(src, "leak.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Push(t.Context(), src, api.SpaceOutput, Selector{}); err == nil || !strings.Contains(err.Error(), "leak.txt") {
		t.Errorf("Push of a link out: %v", err)
	}
	if got := readTree(t, spaces[api.SpaceOutput].Dir()); strings.Contains(fmt.Sprint(got), "secret") {
		t.Errorf("the secret was pushed: %v", got)
	}
	// A selection that leaves the link out is fine.
	if _, err := c.Push(t.Context(), src, api.SpaceOutput, Selector{Exclude: []string{"leak.txt"}}); err != nil {
		t.Errorf("Push without the link: %v", err)
	}
}

// A download cut mid-transfer resumes with a Range request.
func TestPullResumesCutDownload(t *testing.T) {
	spaces := spacesOf(t, testStore(t, Options{}))
	ts := newTransferServer(t, spaces)
	data := randomBytes(2, 3<<20)
	mustPut(t, spaces[api.SpaceInput], "in/big.bin", data)
	var cuts sync.Map
	ts.hook = func(i int, w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "big.bin") {
			if _, done := cuts.LoadOrStore("big", true); !done {
				return &cutWriter{ResponseWriter: w, n: 1 << 20}, r
			}
		}
		return w, r
	}
	dst := t.TempDir()
	n, err := ts.client().Pull(t.Context(), api.SpaceInput, Selector{Include: []string{"in/*.bin"}}, dst, false)
	if err != nil || n != 1 {
		t.Fatalf("Pull = %d, %v", n, err)
	}
	got := readTree(t, dst)
	if len(got) != 1 || got["in/big.bin"] != string(data) {
		t.Fatalf("pulled %d files; big.bin intact: %v", len(got), got["in/big.bin"] == string(data))
	}
	var gets []string
	for _, r := range ts.log() {
		if strings.HasPrefix(r, "GET in/big.bin") {
			gets = append(gets, r)
		}
	}
	if len(gets) != 2 || gets[0] != "GET in/big.bin " || gets[1] != "GET in/big.bin bytes=1048576-" {
		t.Errorf("requests %q, want a whole GET then one resuming at 1 MiB", gets)
	}
}

// An upload cut mid-transfer resumes where the server's part ends.
func TestPushResumesCutUpload(t *testing.T) {
	spaces := spacesOf(t, testStore(t, Options{}))
	ts := newTransferServer(t, spaces)
	data := randomBytes(3, 3<<20)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"out/big.bin": string(data)})
	var once sync.Once
	ts.hook = func(i int, w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
		if r.Method == http.MethodPut {
			once.Do(func() { r.Body = &cutReader{r: r.Body, n: 1_000_000} })
		}
		return w, r
	}
	n, err := ts.client().Push(t.Context(), src, api.SpaceOutput, Selector{})
	if err != nil || n != 1 {
		t.Fatalf("Push = %d, %v", n, err)
	}
	got, _ := os.ReadFile(filepath.Join(spaces[api.SpaceOutput].Dir(), "out/big.bin"))
	if !bytes.Equal(got, data) {
		t.Fatal("the pushed file differs")
	}
	var puts []string
	for _, r := range ts.log() {
		if strings.HasPrefix(r, "PUT") {
			puts = append(puts, r)
		}
	}
	if len(puts) != 2 || puts[0] != "PUT out/big.bin 0" || puts[1] != "PUT out/big.bin 1000000" {
		t.Errorf("requests %q, want a whole PUT then one resuming at 1000000", puts)
	}
}

// Failures the server reports as refusals are not retried.
func TestPushQuotaNotRetried(t *testing.T) {
	st := testStore(t, Options{UserQuota: 10})
	spaces := spacesOf(t, st)
	ts := newTransferServer(t, spaces)
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"big": strings.Repeat("x", 100)})
	_, err := ts.client().Push(t.Context(), src, api.SpaceUser, Selector{})
	if !api.IsCode(err, api.CodeQuota) || !strings.Contains(err.Error(), "quota exceeded") {
		t.Fatalf("Push over quota: %v", err)
	}
	puts := 0
	for _, r := range ts.log() {
		if strings.HasPrefix(r, "PUT") {
			puts++
		}
	}
	if puts != 1 {
		t.Errorf("%d PUTs, want 1 (no retry of a refusal)", puts)
	}
}

func TestPushPullManySmallFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 files")
	}
	spaces := spacesOf(t, testStore(t, Options{NoSync: true}))
	ts := newTransferServer(t, spaces)
	c := ts.client()
	c.Parallel = 16
	src := t.TempDir()
	const files = 10_000
	for d := range 100 {
		dir := filepath.Join(src, fmt.Sprintf("d%02d", d))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range files / 100 {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.txt", f)), fmt.Appendf(nil, "file %d/%d\n", d, f), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := c.Push(t.Context(), src, api.SpaceOutput, Selector{})
	if err != nil || n != files {
		t.Fatalf("Push = %d, %v", n, err)
	}
	dst := t.TempDir()
	n, err = c.Pull(t.Context(), api.SpaceOutput, Selector{}, dst, false)
	if err != nil || n != files {
		t.Fatalf("Pull = %d, %v", n, err)
	}
	got := readTree(t, dst)
	if len(got) != files || got["d42/f017.txt"] != "file 42/17\n" {
		t.Errorf("pulled %d files; d42/f017.txt = %q", len(got), got["d42/f017.txt"])
	}
}

// A download that stops moving is given up and resumed.
func TestPullResumesStalledDownload(t *testing.T) {
	spaces := spacesOf(t, testStore(t, Options{}))
	ts := newTransferServer(t, spaces)
	data := randomBytes(6, 2<<20)
	mustPut(t, spaces[api.SpaceInput], "big.bin", data)
	var once sync.Once
	ts.hook = func(i int, w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "big.bin") {
			once.Do(func() { w = &stallWriter{ResponseWriter: w, r: r, n: 500_000} })
		}
		return w, r
	}
	c := ts.client()
	c.StallTimeout = 250 * time.Millisecond
	dst := t.TempDir()
	if n, err := c.Pull(t.Context(), api.SpaceInput, Selector{}, dst, false); err != nil || n != 1 {
		t.Fatalf("Pull = %d, %v", n, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dst, "big.bin")); !bytes.Equal(got, data) {
		t.Fatal("the pulled file differs")
	}
	if log := ts.log(); !slices.Contains(log, "GET big.bin bytes=500000-") {
		t.Errorf("requests %q, want a resume at 500000", log)
	}
}
