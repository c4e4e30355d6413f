package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// spaceRequest is what the test server saw of one space request.
type spaceRequest struct {
	method, path string // path as sent, escaped
	query        url.Values
	header       http.Header
	length       int64
	body         string
}

// spaceServer records requests and answers them with handler.
type spaceServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []spaceRequest
}

func newSpaceServer(t *testing.T, handler http.HandlerFunc) *spaceServer {
	t.Helper()
	ss := &spaceServer{}
	ss.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ss.mu.Lock()
		ss.reqs = append(ss.reqs, spaceRequest{r.Method, r.URL.EscapedPath(), r.URL.Query(),
			r.Header.Clone(), r.ContentLength, string(body)})
		ss.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(ss.Close)
	return ss
}

func (ss *spaceServer) last() spaceRequest {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.reqs[len(ss.reqs)-1]
}

func TestSpaceClientRequests(t *testing.T) {
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	entry := SpaceEntry{Path: "d/f", Size: 3, ModTime: mtime, SHA256: "abc"}
	ss := newSpaceServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "DELETE":
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Query().Has("stat"), r.Method == "PUT", r.Method == "POST":
			answer(w, 200, entry)
		default:
			answer(w, 200, SpaceList{Space: "user", Path: "d", Entries: []SpaceEntry{entry}})
		}
	})
	c := NewClient(ss.URL, "tok")
	user, out := c.Space(SpaceUser), c.JobSpace(7, SpaceOutput)
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func() (any, error)
		method string
		path   string
		query  url.Values
		body   string
	}{
		{"list root", func() (any, error) { return user.List(ctx, "", SpaceListOptions{}) },
			"GET", "/api/v1/spaces/user/", url.Values{}, ""},
		{"list dir", func() (any, error) { return user.List(ctx, "/a b/c", SpaceListOptions{}) },
			"GET", "/api/v1/spaces/user/a%20b/c/", url.Values{}, ""},
		{"walk", func() (any, error) {
			return out.List(ctx, "res/", SpaceListOptions{Recursive: true, Include: []string{"**/*.csv", "x"}, Exclude: []string{"tmp/**"}})
		}, "GET", "/api/v1/jobs/7/output/res/", url.Values{"walk": {"1"}, "include": {"**/*.csv", "x"}, "exclude": {"tmp/**"}}, ""},
		{"stat", func() (any, error) { return user.Stat(ctx, "d/f?#") },
			"GET", "/api/v1/spaces/user/d/f%3F%23", url.Values{"stat": {"1"}}, ""},
		{"mkdir", func() (any, error) { return c.Space(SpaceGlobal).Mkdir(ctx, "new/dir") },
			"PUT", "/api/v1/spaces/global/new/dir/", url.Values{"mkdir": {"1"}}, ""},
		{"remove", func() (any, error) { return nil, user.Remove(ctx, "d", false) },
			"DELETE", "/api/v1/spaces/user/d", url.Values{}, ""},
		{"remove recursive", func() (any, error) { return nil, user.Remove(ctx, "d", true) },
			"DELETE", "/api/v1/spaces/user/d", url.Values{"recursive": {"1"}}, ""},
		{"move", func() (any, error) { return user.Move(ctx, "d/f", "e/g") },
			"POST", "/api/v1/spaces/user/d/f", url.Values{"op": {"move"}}, `{"to":"e/g"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.call()
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			r := ss.last()
			if r.method != tc.method || r.path != tc.path || !reflect.DeepEqual(r.query, tc.query) || r.body != tc.body {
				t.Errorf("request = %s %s %v %q, want %s %s %v %q", r.method, r.path, r.query, r.body,
					tc.method, tc.path, tc.query, tc.body)
			}
			if a := r.header.Get("Authorization"); a != "Bearer tok" {
				t.Errorf("Authorization = %q", a)
			}
			switch v := got.(type) {
			case SpaceEntry:
				if !reflect.DeepEqual(v, entry) {
					t.Errorf("entry = %+v, want %+v", v, entry)
				}
			case SpaceList:
				if len(v.Entries) != 1 || !reflect.DeepEqual(v.Entries[0], entry) {
					t.Errorf("list = %+v", v)
				}
			}
		})
	}
}

func TestSpaceClientPut(t *testing.T) {
	ss := newSpaceServer(t, func(w http.ResponseWriter, _ *http.Request) {
		answer(w, 201, SpaceEntry{Path: "in/data.bin", Size: 5})
	})
	c := NewClient(ss.URL, "tok")
	e, err := c.JobSpace(3, SpaceInput).Put(context.Background(), "in/data.bin", strings.NewReader("hello"), 5, "2cf24d")
	if err != nil || e.Size != 5 {
		t.Fatalf("Put = %+v, %v", e, err)
	}
	r := ss.last()
	if r.method != "PUT" || r.path != "/api/v1/jobs/3/input/in/data.bin" || r.body != "hello" || r.length != 5 {
		t.Errorf("request = %s %s %q length %d", r.method, r.path, r.body, r.length)
	}
	if got := r.header.Get("X-Shrike-SHA256"); got != "2cf24d" {
		t.Errorf("X-Shrike-SHA256 = %q", got)
	}
	if _, err := c.Space(SpaceUser).Put(context.Background(), "empty", strings.NewReader(""), 0, ""); err != nil {
		t.Fatalf("Put empty: %v", err)
	}
	if r := ss.last(); r.length != 0 || r.header.Get("X-Shrike-SHA256") != "" || r.header.Get("Transfer-Encoding") != "" {
		t.Errorf("empty upload: length %d, headers %v", r.length, r.header)
	}
}

func TestSpaceClientGet(t *testing.T) {
	const content = "0123456789"
	// honour says whether the server answers ranges (206) or ignores them (200).
	var honour bool
	ss := newSpaceServer(t, func(w http.ResponseWriter, r *http.Request) {
		if honour {
			http.ServeContent(w, r, "f", time.Time{}, strings.NewReader(content))
			return
		}
		_, _ = io.WriteString(w, content)
	})
	file := NewClient(ss.URL, "tok").Space(SpaceUser)
	for _, tc := range []struct {
		honour bool
		offset int64
		want   string
	}{{true, 0, content}, {true, 4, "456789"}, {false, 4, "456789"}, {false, 0, content}} {
		honour = tc.honour
		var out strings.Builder
		n, err := file.Get(context.Background(), "f", tc.offset, &out)
		if err != nil || out.String() != tc.want || n != int64(len(tc.want)) {
			t.Errorf("ranges %v, offset %d: got %q (%d), %v; want %q", tc.honour, tc.offset, out.String(), n, err, tc.want)
		}
		wantRange := ""
		if tc.offset > 0 {
			wantRange = "bytes=4-"
		}
		if got := ss.last().header.Get("Range"); got != wantRange {
			t.Errorf("Range = %q, want %q", got, wantRange)
		}
	}
	honour = true
	_, err := file.Get(context.Background(), "f", 99, io.Discard)
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusRequestedRangeNotSatisfiable || e.Code != CodeBadRequest {
		t.Errorf("offset past the end: err = %v, want a 416 bad request", err)
	}
}

func TestSpaceClientErrors(t *testing.T) {
	ss := newSpaceServer(t, func(w http.ResponseWriter, _ *http.Request) {
		answer(w, http.StatusRequestEntityTooLarge, Error{Code: CodeQuota, Message: "quota exceeded"})
	})
	_, err := NewClient(ss.URL, "tok").Space(SpaceUser).Put(context.Background(), "big", strings.NewReader("x"), 1, "")
	if !IsCode(err, CodeQuota) {
		t.Errorf("err = %v, want CodeQuota", err)
	}
	_, err = NewClient(ss.URL, "tok").Space(SpaceUser).Get(context.Background(), "big", 0, io.Discard)
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("err = %v, want the 413 answer", err)
	}
}
