package dataspace

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func do(t *testing.T, method, url string, body io.Reader, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func TestHTTPProtocol(t *testing.T) {
	spaces := spacesOf(t, testStore(t, Options{}))
	ts := newTransferServer(t, spaces)
	base := ts.URL + "/api/v1/transfer/output/"
	data := randomBytes(4, 2<<20)
	sum := sumOf(data)

	// The upload query before anything was sent.
	resp, _ := do(t, http.MethodHead, base+"r/big.bin", nil, HeaderSHA256, sum)
	if resp.StatusCode != http.StatusOK || resp.Header.Get(HeaderOffset) != "0" || resp.Header.Get(HeaderComplete) != "" {
		t.Fatalf("upload query: %s %v", resp.Status, resp.Header)
	}
	// A PUT with a wrong checksum is a conflict and keeps nothing.
	resp, body := do(t, http.MethodPut, base+"r/big.bin", bytes.NewReader(data), HeaderSHA256, sumOf(nil))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), "checksum mismatch") {
		t.Fatalf("PUT with a bad checksum: %s %s", resp.Status, body)
	}
	resp, body = do(t, http.MethodPut, base+"r/big.bin", bytes.NewReader(data), HeaderSHA256, sum)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), sum) {
		t.Fatalf("PUT: %s %s", resp.Status, body)
	}
	resp, _ = do(t, http.MethodHead, base+"r/big.bin", nil, HeaderSHA256, sum)
	if resp.Header.Get(HeaderOffset) != "2097152" || resp.Header.Get(HeaderComplete) != "1" {
		t.Errorf("upload query after the PUT: %v", resp.Header)
	}
	// GET: the file with its checksum; a Range; a resume whose If-Range
	// no longer holds gets the whole file.
	resp, body = do(t, http.MethodGet, base+"r/big.bin", nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) || resp.Header.Get(HeaderSHA256) != sum || resp.Header.Get("ETag") != `"`+sum+`"` {
		t.Errorf("GET: %s, %d bytes, %v", resp.Status, len(body), resp.Header)
	}
	resp, body = do(t, http.MethodGet, base+"r/big.bin", nil, "Range", "bytes=100-199", "If-Range", `"`+sum+`"`)
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[100:200]) {
		t.Errorf("GET of a range: %s, %d bytes", resp.Status, len(body))
	}
	resp, body = do(t, http.MethodGet, base+"r/big.bin", nil, "Range", "bytes=100-", "If-Range", `"`+sumOf(nil)+`"`)
	if resp.StatusCode != http.StatusOK || len(body) != len(data) {
		t.Errorf("GET with a stale If-Range: %s, %d bytes", resp.Status, len(body))
	}
	resp, _ = do(t, http.MethodHead, base+"r/big.bin", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get(HeaderSHA256) != sum || resp.ContentLength != int64(len(data)) {
		t.Errorf("HEAD: %s %v", resp.Status, resp.Header)
	}
	// A directory is listed; a walk lists the selected files.
	mustPut(t, spaces[api.SpaceOutput], "r/small.txt", []byte("small"))
	resp, body = do(t, http.MethodGet, base+"r/", nil)
	var list api.SpaceList
	decodeJSON(t, bytes.NewReader(body), &list)
	if resp.StatusCode != http.StatusOK || list.Space != "output" || list.Path != "r" || len(list.Entries) != 2 ||
		list.Entries[0].Path != "r/big.bin" || list.Entries[0].SHA256 != sum || list.Entries[1].SHA256 != sumOf([]byte("small")) {
		t.Errorf("GET of a directory: %s %+v", resp.Status, list)
	}
	_, body = do(t, http.MethodGet, base+"?walk=1&include=**/*.txt&include=none&exclude=x/", nil)
	list = api.SpaceList{}
	decodeJSON(t, bytes.NewReader(body), &list)
	if len(list.Entries) != 1 || list.Entries[0].Path != "r/small.txt" || list.Entries[0].SHA256 == "" {
		t.Errorf("walk: %+v", list)
	}
	resp, body = do(t, http.MethodGet, base+"?walk=1&include=../x", nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "include[0]") {
		t.Errorf("walk with a bad pattern: %s %s", resp.Status, body)
	}
	// Errors.
	for _, tc := range []struct {
		method, path string
		headers      []string
		status       int
	}{
		{http.MethodGet, "nothing", nil, http.StatusNotFound},
		{http.MethodDelete, "r/big.bin", nil, http.StatusMethodNotAllowed},
		{http.MethodHead, "r/big.bin", []string{HeaderSHA256, "nothex"}, http.StatusBadRequest},
		{http.MethodPut, "r/x", []string{HeaderOffset, "-1"}, http.StatusBadRequest},
		{http.MethodPut, "r/x", []string{HeaderOffset, "5", HeaderSHA256, sum}, http.StatusConflict},
		{http.MethodPut, "r", nil, http.StatusConflict}, // a directory is in the way
	} {
		resp, body := do(t, tc.method, base+tc.path, strings.NewReader("data"), tc.headers...)
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s %v: %s %s, want %d", tc.method, tc.path, tc.headers, resp.Status, body, tc.status)
		}
	}
}
