package dataspace

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

const testToken = "cap-token"

// testStore opens a store in a temporary directory.
func testStore(t testing.TB, opts Options) *Store {
	t.Helper()
	st, err := Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// transferServer is an httptest server with the transfer routes of the
// REST layer reduced to a trivial mux: /api/v1/transfer/{space}/{path}
// with a bearer token, over the given spaces.
type transferServer struct {
	*httptest.Server
	spaces map[string]*Space

	mu       sync.Mutex
	requests []string // "METHOD path offset/range" of each request
	// hook, when set, may replace the writer and request of a request
	// (cutting it short); it is told the request's index.
	hook func(i int, w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request)
}

func newTransferServer(t testing.TB, spaces map[string]*Space) *transferServer {
	ts := &transferServer{spaces: spaces}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *transferServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		writeError(w, r, api.Errorf(api.CodeUnauthorized, "no token"), http.StatusUnauthorized)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v1/transfer/")
	space, rel, _ := strings.Cut(rest, "/")
	sp := ts.spaces[space]
	if !ok || sp == nil {
		writeError(w, r, api.Errorf(api.CodeNotFound, "no space %q", space), http.StatusNotFound)
		return
	}
	ts.mu.Lock()
	i := len(ts.requests)
	ts.requests = append(ts.requests, r.Method+" "+rel+" "+r.Header.Get(HeaderOffset)+r.Header.Get("Range"))
	hook := ts.hook
	ts.mu.Unlock()
	if hook != nil {
		w, r = hook(i, w, r)
	}
	switch {
	case r.Method == http.MethodPut:
		e, err := sp.ReceiveHTTPFile(r, rel)
		if err != nil {
			if errors.Is(err, errCut) {
				panic(http.ErrAbortHandler) // cut the connection
			}
			writeError(w, r, err, 0)
			return
		}
		writeJSON(w, r, e)
	case rel == "" && isTrue(r.URL.Query().Get("walk")):
		sp.ServeHTTPWalk(w, r)
	default:
		sp.ServeHTTPFile(w, r, rel)
	}
}

func (ts *transferServer) log() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.requests...)
}

func (ts *transferServer) client() *Client {
	return &Client{ServerURL: ts.URL, Token: testToken}
}

var errCut = errors.New("test: connection cut")

// cutReader returns errCut once n bytes were read.
type cutReader struct {
	r io.ReadCloser
	n int64
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errCut
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

func (c *cutReader) Close() error { return c.r.Close() }

// cutWriter sends n bytes of the answer, then drops the connection.
type cutWriter struct {
	http.ResponseWriter
	n int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if len(p) >= c.n {
		c.ResponseWriter.Write(p[:c.n])
		c.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	c.n -= len(p)
	return c.ResponseWriter.Write(p)
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	_, _ = r.Read(b)
	return b
}

func sumOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// writeFiles creates files (path → content) under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns every regular file under dir (path → content), hidden
// files included.
func readTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(r)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustPut(t testing.TB, sp *Space, rel string, data []byte) api.SpaceEntry {
	t.Helper()
	e, err := sp.Put(t.Context(), rel, bytes.NewReader(data), PutOptions{SHA256: sumOf(data)})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func decodeJSON(t testing.TB, r io.Reader, v any) {
	t.Helper()
	if err := json.NewDecoder(r).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// visible leaves out the package's hidden files.
func visible(files map[string]string) map[string]string {
	out := map[string]string{}
	for p, c := range files {
		if !strings.Contains("/"+p, "/"+reservedPrefix) {
			out[p] = c
		}
	}
	return out
}

// stallWriter sends n bytes of the answer, then sends nothing more until
// the client goes away.
type stallWriter struct {
	http.ResponseWriter
	r *http.Request
	n int
}

func (s *stallWriter) Write(p []byte) (int, error) {
	if len(p) >= s.n {
		s.ResponseWriter.Write(p[:s.n])
		s.ResponseWriter.(http.Flusher).Flush()
		<-s.r.Context().Done()
		panic(http.ErrAbortHandler)
	}
	s.n -= len(p)
	return s.ResponseWriter.Write(p)
}
