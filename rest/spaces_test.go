package rest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
	"github.com/shrike-grid/shrike/rest"
)

// newSpaceHarness is a harness whose backend has real data spaces.
func newSpaceHarness(t *testing.T, opts rest.Options, ds dataspace.Options) *harness {
	t.Helper()
	h := newHarness(t, opts)
	if err := h.fake.OpenSpaces(t.TempDir(), ds); err != nil {
		t.Fatal(err)
	}
	return h
}

// send is do with extra request headers.
func (h *harness) send(method, path, token, body string, hdr map[string]string) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("new request: %v", err)
	}
	if body == "" {
		req.Body = http.NoBody
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	h.t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// wantBody checks a plain answer's status and body.
func wantBody(t *testing.T, resp *http.Response, status int, body string) {
	t.Helper()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status || string(got) != body {
		t.Errorf("%s %s: status %d body %q, want %d %q", resp.Request.Method, resp.Request.URL.Path,
			resp.StatusCode, got, status, body)
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestSpaceUploadDownload(t *testing.T) {
	// Uploads are streamed: not bounded by MaxBodyBytes.
	h := newSpaceHarness(t, rest.Options{MaxBodyBytes: 64}, dataspace.Options{})
	big := strings.Repeat("0123456789", 100)
	e := decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/user/dir/big.txt", h.alice, big,
		map[string]string{"X-Shrike-SHA256": sha(big)}), http.StatusCreated)
	if e.Path != "dir/big.txt" || e.Size != int64(len(big)) || e.Dir || e.ModTime.IsZero() {
		t.Errorf("entry = %+v", e)
	}
	resp := h.send("GET", "/api/v1/spaces/user/dir/big.txt", h.alice, "", nil)
	if got := resp.Header.Get("X-Shrike-SHA256"); got != sha(big) {
		t.Errorf("X-Shrike-SHA256 = %q, want %q", got, sha(big))
	}
	wantBody(t, resp, http.StatusOK, big)

	resp = h.send("GET", "/api/v1/spaces/user/dir/big.txt", h.alice, "", map[string]string{"Range": "bytes=995-"})
	wantBody(t, resp, http.StatusPartialContent, "56789")
	resp = h.send("HEAD", "/api/v1/spaces/user/dir/big.txt", h.alice, "", nil)
	if resp.StatusCode != http.StatusOK || resp.ContentLength != int64(len(big)) {
		t.Errorf("HEAD: status %d length %d", resp.StatusCode, resp.ContentLength)
	}

	// Replacing a file, and an empty one.
	decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/user/dir/big.txt", h.alice, "small", nil), http.StatusCreated)
	wantBody(t, h.send("GET", "/api/v1/spaces/user/dir/big.txt", h.alice, "", nil), http.StatusOK, "small")
	decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/user/empty", h.alice, "", nil), http.StatusCreated)
	wantBody(t, h.send("GET", "/api/v1/spaces/user/empty", h.alice, "", nil), http.StatusOK, "")

	// Each user has their own space.
	bob := h.fake.AddUser("bob", "bob-pw", api.RoleUser)
	wantError(t, h.send("GET", "/api/v1/spaces/user/empty", bob, "", nil), http.StatusNotFound, api.CodeNotFound)
}

func TestSpaceListing(t *testing.T) {
	h := newSpaceHarness(t, rest.Options{}, dataspace.Options{})
	for _, p := range []string{"a.txt", "d/b.csv", "d/e/c.csv"} {
		decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/user/"+p, h.alice, "data of "+p, nil), http.StatusCreated)
	}
	paths := func(l api.SpaceList) string {
		var out []string
		for _, e := range l.Entries {
			s := e.Path
			if e.Dir {
				s += "/"
			}
			out = append(out, s)
		}
		return strings.Join(out, " ")
	}
	tests := map[string]struct{ path, want string }{
		"root":             {"/api/v1/spaces/user/", "a.txt d/"},
		"root, no slash":   {"/api/v1/spaces/user", "a.txt d/"},
		"dir":              {"/api/v1/spaces/user/d/", "d/b.csv d/e/"},
		"dir, no slash":    {"/api/v1/spaces/user/d", "d/b.csv d/e/"},
		"walk":             {"/api/v1/spaces/user/?walk=1", "a.txt d/b.csv d/e/c.csv"},
		"walk a dir":       {"/api/v1/spaces/user/d/e/?walk=1", "d/e/c.csv"},
		"walk with globs":  {"/api/v1/spaces/user/?walk=1&include=**/*.csv&exclude=d/e/**", "d/b.csv"},
		"walk, empty list": {"/api/v1/spaces/user/?walk=1&include=*.none", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			l := decode[api.SpaceList](t, h.send("GET", tc.path, h.alice, "", nil), http.StatusOK)
			if got := paths(l); got != tc.want || l.Space != api.SpaceUser || l.Entries == nil {
				t.Errorf("listing %+v: paths %q, want %q", l, got, tc.want)
			}
		})
	}
	l := decode[api.SpaceList](t, h.send("GET", "/api/v1/spaces/user/d/", h.alice, "", nil), http.StatusOK)
	if f := l.Entries[0]; f.Size != int64(len("data of d/b.csv")) || f.ModTime.IsZero() {
		t.Errorf("file entry = %+v, want its size and mtime", f)
	}
	st := decode[api.SpaceEntry](t, h.send("GET", "/api/v1/spaces/user/d?stat=1", h.alice, "", nil), http.StatusOK)
	if !st.Dir || st.Path != "d" {
		t.Errorf("stat = %+v", st)
	}
	wantError(t, h.send("GET", "/api/v1/spaces/user/a.txt/", h.alice, "", nil), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.send("GET", "/api/v1/spaces/user/nope/", h.alice, "", nil), http.StatusNotFound, api.CodeNotFound)
	for query, field := range map[string]string{"?include=x": "include", "?walk=1&exclude=a&exclude=[": "exclude[1]"} {
		e := wantError(t, h.send("GET", "/api/v1/spaces/user/"+query, h.alice, "", nil), http.StatusBadRequest, api.CodeInvalid)
		if len(e.Errors) != 1 || e.Errors[0].Field != field {
			t.Errorf("%s: field errors = %v, want %s", query, e.Errors, field)
		}
	}
}

func TestSpaceMkdirMoveDelete(t *testing.T) {
	h := newSpaceHarness(t, rest.Options{}, dataspace.Options{})
	d := decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/user/x/y/?mkdir=1", h.alice, "", nil), http.StatusCreated)
	if !d.Dir || d.Path != "x/y" {
		t.Errorf("mkdir entry = %+v", d)
	}
	decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/user/x/y/f", h.alice, "f", nil), http.StatusCreated)
	wantError(t, h.send("PUT", "/api/v1/spaces/user/x/y/f?mkdir=1", h.alice, "", nil), http.StatusConflict, api.CodeConflict)
	wantError(t, h.send("PUT", "/api/v1/spaces/user/x/z?mkdir=1", h.alice, "body", nil), http.StatusBadRequest, api.CodeInvalid)
	wantError(t, h.send("PUT", "/api/v1/spaces/user/x/", h.alice, "body", nil), http.StatusBadRequest, api.CodeInvalid)

	m := decode[api.SpaceEntry](t, h.send("POST", "/api/v1/spaces/user/x/y/f?op=move", h.alice, `{"to": "moved/g"}`, nil), http.StatusOK)
	if m.Path != "moved/g" || m.Size != 1 {
		t.Errorf("moved entry = %+v", m)
	}
	wantBody(t, h.send("GET", "/api/v1/spaces/user/moved/g", h.alice, "", nil), http.StatusOK, "f")
	wantError(t, h.send("POST", "/api/v1/spaces/user/x/y/f?op=move", h.alice, `{"to": "h"}`, nil), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.send("POST", "/api/v1/spaces/user/x?op=move", h.alice, `{"to": "moved"}`, nil), http.StatusConflict, api.CodeConflict)
	for body, field := range map[string]string{`{"to": ""}`: "to", `{"to": "../out"}`: "to"} {
		e := wantError(t, h.send("POST", "/api/v1/spaces/user/x?op=move", h.alice, body, nil), http.StatusBadRequest, api.CodeInvalid)
		if len(e.Errors) != 1 || e.Errors[0].Field != field {
			t.Errorf("move %s: field errors %v, want %s", body, e.Errors, field)
		}
	}
	e := wantError(t, h.send("POST", "/api/v1/spaces/user/x?op=copy", h.alice, `{"to": "c"}`, nil), http.StatusBadRequest, api.CodeInvalid)
	if len(e.Errors) != 1 || e.Errors[0].Field != "op" {
		t.Errorf("op=copy: field errors %v", e.Errors)
	}

	decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/user/x/y/f2", h.alice, "f2", nil), http.StatusCreated)
	wantError(t, h.send("DELETE", "/api/v1/spaces/user/x", h.alice, "", nil), http.StatusConflict, api.CodeConflict)
	wantBody(t, h.send("DELETE", "/api/v1/spaces/user/x/y/f2", h.alice, "", nil), http.StatusNoContent, "")
	wantBody(t, h.send("DELETE", "/api/v1/spaces/user/x/y", h.alice, "", nil), http.StatusNoContent, "")
	decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/user/x/y/f3", h.alice, "f3", nil), http.StatusCreated)
	wantBody(t, h.send("DELETE", "/api/v1/spaces/user/x?recursive=1", h.alice, "", nil), http.StatusNoContent, "")
	wantError(t, h.send("GET", "/api/v1/spaces/user/x/y/f3", h.alice, "", nil), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.send("DELETE", "/api/v1/spaces/user/x", h.alice, "", nil), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.send("DELETE", "/api/v1/spaces/user/", h.alice, "", nil), http.StatusBadRequest, api.CodeInvalid)
}

func TestSpaceGlobalIsWrittenByAdmins(t *testing.T) {
	h := newSpaceHarness(t, rest.Options{}, dataspace.Options{})
	decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/global/ref/genome.fa", h.admin, "ACGT", nil), http.StatusCreated)
	wantBody(t, h.send("GET", "/api/v1/spaces/global/ref/genome.fa", h.alice, "", nil), http.StatusOK, "ACGT")
	writes := []struct{ method, path, body string }{
		{"PUT", "/api/v1/spaces/global/ref/mine.fa", "x"},
		{"PUT", "/api/v1/spaces/global/mine/?mkdir=1", ""},
		{"DELETE", "/api/v1/spaces/global/ref/genome.fa", ""},
		{"POST", "/api/v1/spaces/global/ref/genome.fa?op=move", `{"to": "g.fa"}`},
	}
	for _, w := range writes {
		wantError(t, h.send(w.method, w.path, h.alice, w.body, nil), http.StatusForbidden, api.CodeForbidden)
	}
	wantBody(t, h.send("GET", "/api/v1/spaces/global/ref/genome.fa", h.alice, "", nil), http.StatusOK, "ACGT")
	wantError(t, h.send("GET", "/api/v1/spaces/global/", "", "", nil), http.StatusUnauthorized, api.CodeUnauthorized)
	e := wantError(t, h.send("GET", "/api/v1/spaces/scratch/", h.alice, "", nil), http.StatusBadRequest, api.CodeInvalid)
	if len(e.Errors) != 1 || e.Errors[0].Field != "space" {
		t.Errorf("unknown space: field errors %v", e.Errors)
	}
}

func TestSpacePathEscapes(t *testing.T) {
	h := newSpaceHarness(t, rest.Options{}, dataspace.Options{})
	decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/global/secret", h.admin, "s", nil), http.StatusCreated)
	paths := map[string]string{
		"dot dot":         "/api/v1/spaces/user/../../global/secret",
		"encoded dot dot": "/api/v1/spaces/user/%2e%2e/%2E%2E/global/secret",
		"inner dot dot":   "/api/v1/spaces/user/a/../../x",
		"absolute":        "/api/v1/spaces/user//etc/passwd",
		"encoded slash":   "/api/v1/spaces/user/%2Fetc%2Fpasswd",
		"NUL byte":        "/api/v1/spaces/user/a%00b",
		"backslash":       "/api/v1/spaces/user/..%5C..%5Cx",
		"reserved name":   "/api/v1/spaces/user/.shrike.x",
	}
	for name, p := range paths {
		t.Run(name, func(t *testing.T) {
			for _, method := range []string{"GET", "PUT", "DELETE"} {
				body := ""
				if method == "PUT" {
					body = "evil"
				}
				e := wantError(t, h.send(method, p, h.alice, body, nil), http.StatusBadRequest, api.CodeInvalid)
				if len(e.Errors) != 1 || e.Errors[0].Field != "path" {
					t.Errorf("%s: field errors %v, want path", method, e.Errors)
				}
			}
		})
	}
}

func TestSpaceQuotaAndChecksum(t *testing.T) {
	h := newSpaceHarness(t, rest.Options{}, dataspace.Options{UserQuota: 10})
	decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/user/a", h.alice, "12345", nil), http.StatusCreated)
	wantError(t, h.send("PUT", "/api/v1/spaces/user/b", h.alice, "1234567890", nil), http.StatusRequestEntityTooLarge, api.CodeQuota)
	wantError(t, h.send("PUT", "/api/v1/spaces/user/c", h.alice, "abc", map[string]string{"X-Shrike-SHA256": sha("abd")}),
		http.StatusUnprocessableEntity, api.CodeChecksum)
	wantError(t, h.send("GET", "/api/v1/spaces/user/c", h.alice, "", nil), http.StatusNotFound, api.CodeNotFound)
}

func TestJobSpaces(t *testing.T) {
	h := newSpaceHarness(t, rest.Options{}, dataspace.Options{})
	id := h.submit(validJob)
	in := "/api/v1/jobs/" + itoa(id) + "/input/"
	out := "/api/v1/jobs/" + itoa(id) + "/output/"
	decode[api.SpaceEntry](t, h.send("PUT", in+"params.json", h.alice, `{"n": 3}`, nil), http.StatusCreated)
	wantBody(t, h.send("GET", in+"params.json", h.alice, "", nil), http.StatusOK, `{"n": 3}`)
	wantBody(t, h.send("GET", in+"params.json", h.admin, "", nil), http.StatusOK, `{"n": 3}`)
	l := decode[api.SpaceList](t, h.send("GET", out, h.alice, "", nil), http.StatusOK)
	if l.Space != api.SpaceOutput || len(l.Entries) != 0 {
		t.Errorf("output listing = %+v, want an empty output space", l)
	}
	wantError(t, h.send("PUT", out+"forged.txt", h.alice, "x", nil), http.StatusNotFound, api.CodeNotFound)
	bob := h.fake.AddUser("bob", "bob-pw", api.RoleUser)
	wantError(t, h.send("GET", in+"params.json", bob, "", nil), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.send("PUT", in+"x", bob, "x", nil), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.send("GET", "/api/v1/jobs/99/output/", h.alice, "", nil), http.StatusNotFound, api.CodeNotFound)
	wantError(t, h.send("GET", in+"../output/", h.alice, "", nil), http.StatusBadRequest, api.CodeInvalid)
}

func TestTransferRoutes(t *testing.T) {
	h := newSpaceHarness(t, rest.Options{MaxBodyBytes: 256}, dataspace.Options{})
	id := h.submit(validJob)
	decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/jobs/"+itoa(id)+"/input/in.txt", h.alice, "input", nil), http.StatusCreated)
	decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/spaces/user/lib.txt", h.alice, "lib", nil), http.StatusCreated)
	tok := h.fake.TransferToken(id, api.SpaceUser)
	ro := h.fake.TransferToken(id)

	wantBody(t, h.send("GET", "/api/v1/transfer/input/in.txt", tok, "", nil), http.StatusOK, "input")
	wantBody(t, h.send("GET", "/api/v1/transfer/user/lib.txt", ro, "", nil), http.StatusOK, "lib")
	wantBody(t, h.send("GET", "/api/v1/transfer/input/in.txt", tok, "", map[string]string{"Range": "bytes=2-"}),
		http.StatusPartialContent, "put")

	result := strings.Repeat("r", 500) // larger than MaxBodyBytes
	e := decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/transfer/output/res/out.txt", tok, result,
		map[string]string{"X-Shrike-SHA256": sha(result)}), http.StatusCreated)
	if e.Path != "res/out.txt" || e.Size != 500 {
		t.Errorf("entry = %+v", e)
	}
	wantBody(t, h.send("GET", "/api/v1/jobs/"+itoa(id)+"/output/res/out.txt", h.alice, "", nil), http.StatusOK, result)
	decode[api.SpaceEntry](t, h.send("PUT", "/api/v1/transfer/user/back.txt", tok, "b", nil), http.StatusCreated)
	wantBody(t, h.send("GET", "/api/v1/spaces/user/back.txt", h.alice, "", nil), http.StatusOK, "b")

	walk := decode[api.SpaceList](t, h.send("GET", "/api/v1/transfer/output/?walk=1&include=**/*.txt", tok, "", nil), http.StatusOK)
	if len(walk.Entries) != 1 || walk.Entries[0].Path != "res/out.txt" || walk.Entries[0].SHA256 != sha(result) {
		t.Errorf("walk = %+v", walk)
	}

	wantError(t, h.send("PUT", "/api/v1/transfer/input/in.txt", tok, "forged", nil), http.StatusForbidden, api.CodeForbidden)
	wantError(t, h.send("PUT", "/api/v1/transfer/user/x", ro, "x", nil), http.StatusForbidden, api.CodeForbidden)
	wantError(t, h.send("PUT", "/api/v1/transfer/global/x", tok, "x", nil), http.StatusForbidden, api.CodeForbidden)
	wantError(t, h.send("GET", "/api/v1/transfer/scratch/x", tok, "", nil), http.StatusForbidden, api.CodeForbidden)
	for name, bad := range map[string]string{"unknown": "forged-token", "a user's session": h.alice, "none": ""} {
		t.Run(name, func(t *testing.T) {
			wantError(t, h.send("GET", "/api/v1/transfer/input/in.txt", bad, "", nil), http.StatusUnauthorized, api.CodeUnauthorized)
			wantError(t, h.send("PUT", "/api/v1/transfer/output/y", bad, "y", nil), http.StatusUnauthorized, api.CodeUnauthorized)
		})
	}
	wantError(t, h.send("GET", "/api/v1/transfer/input/../output/res/out.txt", tok, "", nil), http.StatusBadRequest, api.CodeInvalid)
	wantError(t, h.send("PUT", "/api/v1/transfer/output/%2e%2e/x", tok, "x", nil), http.StatusBadRequest, api.CodeInvalid)
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
