package dataspace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// hidden lists the package's hidden files left in the space.
func hidden(t *testing.T, sp *Space) []string {
	t.Helper()
	var out []string
	for p := range readTree(t, sp.Dir()) {
		for _, s := range strings.Split(p, "/") {
			if strings.HasPrefix(s, partPrefix) || strings.HasPrefix(s, reservedPrefix+"tmp.") {
				out = append(out, p)
			}
		}
	}
	return out
}

func TestPutAndRead(t *testing.T) {
	st := testStore(t, Options{})
	sp, err := st.UserOrGlobal(api.SpaceUser, "alice")
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("hello, dataspace\n")
	e := mustPut(t, sp, "a/b/c.txt", data)
	if e.Path != "a/b/c.txt" || e.Size != int64(len(data)) || e.SHA256 != sumOf(data) {
		t.Errorf("Put answered %+v", e)
	}
	f, err := sp.Open("a/b/c.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("read %q, want %q", got, data)
	}
	if se, err := sp.Stat("a/b/c.txt"); err != nil || se.SHA256 != sumOf(data) {
		t.Errorf("Stat = %+v, %v; want the cached checksum", se, err)
	}
	list, err := sp.List("a/b")
	if err != nil || len(list) != 1 || list[0].Path != "a/b/c.txt" {
		t.Errorf("List = %+v, %v; want only c.txt (no sidecar)", list, err)
	}
	if err := sp.Move("a/b/c.txt", "x/y.txt"); err != nil {
		t.Fatal(err)
	}
	if se, err := sp.Stat("x/y.txt"); err != nil || se.SHA256 != sumOf(data) {
		t.Errorf("Stat after Move = %+v, %v", se, err)
	}
	if err := sp.Move("a", "a/inside"); !errors.Is(err, ErrBadPath) {
		t.Errorf("Move into itself: %v", err)
	}
	mustPut(t, sp, "z", nil)
	if err := sp.Move("z", "x/y.txt"); !errors.Is(err, ErrExists) {
		t.Errorf("Move onto a file: %v", err)
	}
	if err := sp.Remove("x"); err != nil {
		t.Fatal(err)
	}
	if _, err := sp.Stat("x/y.txt"); !errors.Is(err, ErrNotFound) || !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("Stat after Remove: %v", err)
	}
	if err := sp.Remove(""); !errors.Is(err, ErrBadPath) {
		t.Errorf("Remove of the root: %v", err)
	}
}

// Concurrent writers of one file: it always holds one complete version.
func TestPutConcurrentWritersAreAtomic(t *testing.T) {
	st := testStore(t, Options{NoSync: true})
	sp, err := st.UserOrGlobal(api.SpaceGlobal, "")
	if err != nil {
		t.Fatal(err)
	}
	const writers, size = 8, 1 << 20
	versions := map[string]bool{}
	for i := range writers {
		versions[string(bytes.Repeat([]byte{byte('a' + i)}, size))] = true
	}
	stop := make(chan struct{})
	readerDone := make(chan error)
	go func() { // a reader checks every state it sees
		for {
			select {
			case <-stop:
				readerDone <- nil
				return
			default:
			}
			f, err := sp.Open("f")
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				readerDone <- err
				return
			}
			got, err := io.ReadAll(f)
			f.Close()
			if err != nil || !versions[string(got)] {
				readerDone <- fmt.Errorf("read a torn file: %d bytes, %v", len(got), err)
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for v := range versions {
		for _, sum := range []string{"", sumOf([]byte(v))} { // temp files and partial uploads
			wg.Go(func() {
				if _, err := sp.Put(t.Context(), "f", strings.NewReader(v), PutOptions{SHA256: sum}); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	close(stop)
	if err := <-readerDone; err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(sp.Dir() + "/f")
	if err != nil || !versions[string(got)] {
		t.Fatalf("final file: %d bytes, %v", len(got), err)
	}
	if se, err := sp.Stat("f"); err != nil || se.SHA256 != sumOf(got) {
		t.Errorf("cached checksum %q, want %q (%v)", se.SHA256, sumOf(got), err)
	}
	if h := hidden(t, sp); len(h) > 0 {
		t.Errorf("left %v", h)
	}
}

func TestPutChecksumMismatchLeavesNothing(t *testing.T) {
	st := testStore(t, Options{})
	sp, err := st.Job(7, api.SpaceOutput, "bob")
	if err != nil {
		t.Fatal(err)
	}
	_, err = sp.Put(t.Context(), "d/out.bin", strings.NewReader("real data"), PutOptions{SHA256: sumOf([]byte("other data"))})
	if !errors.Is(err, ErrChecksum) || !api.IsCode(err, api.CodeChecksum) {
		t.Fatalf("Put with a wrong checksum: %v", err)
	}
	if !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("unclear error: %v", err)
	}
	if _, err := sp.Stat("d/out.bin"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the file exists: %v", err)
	}
	if h := hidden(t, sp); len(h) > 0 {
		t.Errorf("left %v", h)
	}
	// An existing file stays as it was.
	mustPut(t, sp, "keep", []byte("v1"))
	if _, err := sp.Put(t.Context(), "keep", strings.NewReader("v2"), PutOptions{SHA256: sumOf([]byte("v3"))}); !errors.Is(err, ErrChecksum) {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(sp.Dir() + "/keep"); string(got) != "v1" {
		t.Errorf("keep = %q, want v1", got)
	}
}

func TestPutOptionsChecked(t *testing.T) {
	st := testStore(t, Options{})
	sp, _ := st.UserOrGlobal(api.SpaceGlobal, "")
	for _, opts := range []PutOptions{
		{SHA256: "abc"},
		{Offset: -1},
		{Offset: 3},
		{Size: -2},
		{SHA256: sumOf(nil), Offset: 5, Size: 4},
	} {
		if _, err := sp.Put(t.Context(), "f", strings.NewReader(""), opts); !api.IsCode(err, api.CodeBadRequest) {
			t.Errorf("Put with %+v: %v, want a bad request", opts, err)
		}
	}
}

func TestQuota(t *testing.T) {
	root := t.TempDir()
	// Files written before the store opens are counted on first use.
	writeFiles(t, root, map[string]string{"users/alice/old": strings.Repeat("x", 300)})
	st, err := Open(root, Options{UserQuota: 1000, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	user, _ := st.UserOrGlobal(api.SpaceUser, "alice")
	out, _ := st.Job(3, api.SpaceOutput, "alice")
	in, _ := st.Job(3, api.SpaceInput, "alice")
	other, _ := st.UserOrGlobal(api.SpaceUser, "bob")
	ctx := t.Context()

	if n, err := st.Usage("alice"); err != nil || n != 300 {
		t.Fatalf("Usage = %d, %v; want 300", n, err)
	}
	mustPut(t, user, "a", make([]byte, 400))
	_, err = out.Put(ctx, "b", bytes.NewReader(make([]byte, 400)), PutOptions{})
	if !errors.Is(err, ErrQuota) || !api.IsCode(err, api.CodeQuota) {
		t.Fatalf("Put over quota: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "quota exceeded") || !strings.Contains(msg, "alice") {
		t.Errorf("unclear quota error: %s", msg)
	}
	if h := hidden(t, out); len(h) > 0 {
		t.Errorf("a refused upload left %v", h)
	}
	// With the size announced, the refusal comes before any data.
	if _, err := out.Put(ctx, "b", strings.NewReader(""), PutOptions{Size: 400}); !errors.Is(err, ErrQuota) {
		t.Errorf("Put announcing too much: %v", err)
	}
	mustPut(t, out, "b", make([]byte, 300))   // 1000: full
	mustPut(t, in, "c", make([]byte, 5000))   // inputs do not count
	mustPut(t, other, "d", make([]byte, 900)) // nor do other users
	if n, _ := st.Usage("alice"); n != 1000 {
		t.Errorf("Usage = %d, want 1000", n)
	}
	mustPut(t, user, "a", make([]byte, 100)) // replacing frees the old size
	if err := user.Remove("old"); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Usage("alice"); n != 400 {
		t.Errorf("Usage = %d, want 400", n)
	}
	if err := st.RemoveJob(3); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Usage("alice"); n != 100 {
		t.Errorf("Usage after RemoveJob = %d, want 100", n)
	}
	// A fresh store over the same tree counts the same.
	st2, _ := Open(root, Options{UserQuota: 1000})
	if n, _ := st2.Usage("alice"); n != 100 {
		t.Errorf("Usage from a walk = %d, want 100", n)
	}
}

// An upload cut short is kept and continued from its offset.
func TestPutResume(t *testing.T) {
	st := testStore(t, Options{})
	sp, _ := st.Job(9, api.SpaceOutput, "carol")
	data := randomBytes(1, 1<<20)
	sum := sumOf(data)
	ctx := t.Context()
	_, err := sp.Put(ctx, "big", &cutReader{r: io.NopCloser(bytes.NewReader(data)), n: 300_000}, PutOptions{SHA256: sum, Size: int64(len(data))})
	if !errors.Is(err, errCut) {
		t.Fatalf("cut Put: %v", err)
	}
	n, complete, err := sp.UploadOffset("big", sum)
	if err != nil || n != 300_000 || complete {
		t.Fatalf("UploadOffset = %d, %v, %v; want 300000", n, complete, err)
	}
	if _, err := sp.Stat("big"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a partial upload is visible: %v", err)
	}
	if _, err := sp.Put(ctx, "big", bytes.NewReader(data[200_000:]), PutOptions{SHA256: sum, Offset: 200_000}); !errors.Is(err, ErrOffset) {
		t.Errorf("resume at the wrong offset: %v", err)
	}
	e, err := sp.Put(ctx, "big", bytes.NewReader(data[n:]), PutOptions{SHA256: sum, Offset: n, Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	if e.Size != int64(len(data)) || e.SHA256 != sum {
		t.Errorf("resumed Put answered %+v", e)
	}
	if got, _ := os.ReadFile(sp.Dir() + "/big"); !bytes.Equal(got, data) {
		t.Error("resumed file differs")
	}
	if n, complete, _ := sp.UploadOffset("big", sum); !complete || n != int64(len(data)) {
		t.Errorf("UploadOffset after = %d, %v; want complete", n, complete)
	}
	if h := hidden(t, sp); len(h) > 0 {
		t.Errorf("left %v", h)
	}
	// A cancelled upload is kept too.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := sp.Put(cctx, "c", bytes.NewReader(data), PutOptions{SHA256: sum}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Put: %v", err)
	}
}

func TestStoreNames(t *testing.T) {
	st := testStore(t, Options{})
	for _, user := range []string{"", "..", "a/b", ".hidden", "a\x00"} {
		if _, err := st.UserOrGlobal(api.SpaceUser, user); !errors.Is(err, ErrBadPath) {
			t.Errorf("user %q: %v", user, err)
		}
	}
	if _, err := st.UserOrGlobal("input", "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserOrGlobal(input): %v", err)
	}
	if _, err := st.Job(1, "global", "alice"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Job(global): %v", err)
	}
	if _, err := st.Job(0, "input", "alice"); err == nil {
		t.Error("job 0 accepted")
	}
	if _, err := st.Job(5, "input", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Job(5, "output", "mallory"); err == nil {
		t.Error("a job changed owner")
	}
}

func TestSweep(t *testing.T) {
	st := testStore(t, Options{UserQuota: 1 << 30})
	sp, _ := st.Job(4, api.SpaceOutput, "dave")
	data := randomBytes(7, 2<<20)
	sum := sumOf(data)
	_, err := sp.Put(t.Context(), "d/cut", &cutReader{r: io.NopCloser(bytes.NewReader(data)), n: 1000}, PutOptions{SHA256: sum})
	if !errors.Is(err, errCut) {
		t.Fatal(err)
	}
	mustPut(t, sp, "d/big", data)
	mustPut(t, sp, "gone", data)
	if err := os.Remove(sp.Dir() + "/gone"); err != nil { // behind the store's back
		t.Fatal(err)
	}
	if n, _ := st.Usage("dave"); n != 1000+2*int64(len(data)) {
		t.Fatalf("Usage = %d", n)
	}
	now := time.Now()
	// Recent partial uploads stay; the orphan sidecar of "gone" goes.
	if n, err := st.Sweep(now, time.Hour); err != nil || n != 1 {
		t.Errorf("Sweep = %d, %v; want 1 (the orphan sidecar)", n, err)
	}
	if n, _, _ := sp.UploadOffset("d/cut", sum); n != 1000 {
		t.Errorf("a recent partial upload was swept: offset %d", n)
	}
	if n, err := st.Sweep(now.Add(2*time.Hour), time.Hour); err != nil || n != 1 {
		t.Errorf("Sweep = %d, %v; want 1 (the partial upload)", n, err)
	}
	if n, _, _ := sp.UploadOffset("d/cut", sum); n != 0 {
		t.Errorf("an old partial upload stayed: offset %d", n)
	}
	if se, err := sp.Stat("d/big"); err != nil || se.SHA256 != sum {
		t.Errorf("Sweep touched a real file or its checksum: %+v, %v", se, err)
	}
	if n, _ := st.Usage("dave"); n != 2*int64(len(data)) {
		t.Errorf("Usage after Sweep = %d, want %d", n, 2*len(data))
	}
}
