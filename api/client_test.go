package api

import (
	"context"
	"encoding/json"
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

// recorded is what the test server saw of one request.
type recorded struct {
	method, path, auth, contentType string
	query                           url.Values
	body                            string
}

// testServer answers every request with handler and records it.
type testServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newTestServer(t *testing.T, handler http.HandlerFunc) *testServer {
	t.Helper()
	ts := &testServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts.mu.Lock()
		ts.reqs = append(ts.reqs, recorded{r.Method, r.URL.Path, r.Header.Get("Authorization"),
			r.Header.Get("Content-Type"), r.URL.Query(), string(body)})
		ts.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// last returns the latest recorded request.
func (ts *testServer) last() recorded {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.reqs[len(ts.reqs)-1]
}

// answer writes v as JSON with status.
func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestClientAddressForms(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, _ *http.Request) {
		answer(w, 200, Health{Status: "ok", Version: "9"})
	})
	for _, addr := range []string{ts.URL, ts.URL + "/", strings.TrimPrefix(ts.URL, "http://")} {
		h, err := NewClient(addr, "").Health(context.Background())
		if err != nil || h.Version != "9" {
			t.Errorf("Health via %q = %+v, %v", addr, h, err)
		}
		if got := ts.last(); got.path != "/healthz" || got.auth != "" {
			t.Errorf("request = %+v, want /healthz without a token", got)
		}
	}
}

func TestClientLoginAndLogout(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/auth/logout" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		answer(w, 200, LoginResponse{Token: "t1", Username: "alice", Role: RoleUser})
	})
	resp, err := NewClient(ts.URL, "").Login(context.Background(), "alice", "pw")
	if err != nil || resp.Token != "t1" {
		t.Fatalf("Login = %+v, %v", resp, err)
	}
	got := ts.last()
	var req LoginRequest
	_ = json.Unmarshal([]byte(got.body), &req)
	if got.method != "POST" || got.path != "/api/v1/auth/login" || req != (LoginRequest{"alice", "pw"}) {
		t.Errorf("login request = %+v", got)
	}
	if err := NewClient(ts.URL, "t1").Logout(context.Background()); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if got := ts.last(); got.path != "/api/v1/auth/logout" || got.auth != "Bearer t1" {
		t.Errorf("logout request = %+v", got)
	}
}

func TestClientRequests(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "POST" && r.URL.Path == "/api/v1/jobs":
			answer(w, 201, SubmitResponse{ID: 7})
		case r.URL.Path == "/api/v1/jobs":
			answer(w, 200, JobList{Total: 0})
		case r.URL.Path == "/api/v1/jobs/7/spec":
			answer(w, 200, JobSpec{Name: "j"})
		case r.URL.Path == "/api/v1/nodes":
			answer(w, 200, []Node{{Name: "n"}})
		case r.URL.Path == "/api/v1/users" && r.Method == "POST":
			answer(w, 201, User{Name: "bob"})
		case r.URL.Path == "/api/v1/users":
			answer(w, 200, []User{{Name: "bob"}})
		default:
			answer(w, 200, Job{ID: 7, State: JobKilled})
		}
	})
	c := NewClient(ts.URL+"/", "tok")
	ctx := context.Background()
	tests := []struct {
		name        string
		call        func() error
		method      string
		path        string
		query       url.Values
		contentType string
	}{
		{"submit", func() error {
			_, err := c.SubmitJob(ctx, []byte("name: x"), "application/yaml", map[string]string{"a": "1=2"})
			return err
		}, "POST", "/api/v1/jobs", url.Values{"var": {"a=1=2"}}, "application/yaml"},
		{"submit JSON by default", func() error {
			_, err := c.SubmitJob(ctx, []byte("{}"), "", nil)
			return err
		}, "POST", "/api/v1/jobs", url.Values{}, "application/json"},
		{"list", func() error {
			_, err := c.ListJobs(ctx, ListJobsOptions{States: []JobState{JobRunning, JobPending}, Owner: "bob", Offset: 5, Limit: 10})
			return err
		}, "GET", "/api/v1/jobs", url.Values{"state": {"RUNNING", "PENDING"}, "owner": {"bob"},
			"offset": {"5"}, "limit": {"10"}}, ""},
		{"get", func() error { _, err := c.GetJob(ctx, 7); return err }, "GET", "/api/v1/jobs/7", url.Values{}, ""},
		{"spec", func() error { _, err := c.GetJobSpec(ctx, 7); return err }, "GET", "/api/v1/jobs/7/spec", url.Values{}, ""},
		{"kill", func() error { _, err := c.KillJob(ctx, 7); return err }, "DELETE", "/api/v1/jobs/7", url.Values{}, ""},
		{"nodes", func() error { _, err := c.ListNodes(ctx); return err }, "GET", "/api/v1/nodes", url.Values{}, ""},
		{"add user", func() error {
			_, err := c.CreateUser(ctx, CreateUserRequest{Name: "bob", Password: "pw", Role: RoleUser})
			return err
		}, "POST", "/api/v1/users", url.Values{}, "application/json"},
		{"users", func() error { _, err := c.ListUsers(ctx); return err }, "GET", "/api/v1/users", url.Values{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatalf("call: %v", err)
			}
			got := ts.last()
			if got.method != tc.method || got.path != tc.path || got.contentType != tc.contentType ||
				got.auth != "Bearer tok" || !reflect.DeepEqual(got.query, tc.query) {
				t.Errorf("request = %+v, want %s %s %v (%q)", got, tc.method, tc.path, tc.query, tc.contentType)
			}
		})
	}
}

func TestClientNodeRequests(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "DELETE" && r.URL.Path == "/api/v1/nodes/w-1" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.URL.Path == "/api/v1/nodes" {
			answer(w, 200, []Node{})
			return
		}
		answer(w, 200, map[string]any{})
	})
	c := NewClient(ts.URL, "tok")
	ctx := context.Background()
	yes, no := true, false
	tests := []struct {
		name   string
		call   func() error
		method string
		path   string
		query  url.Values
		body   string
	}{
		{"list", func() error { _, err := c.ListNodes(ctx); return err }, "GET", "/api/v1/nodes", url.Values{}, ""},
		{"list filtered", func() error {
			_, err := c.ListNodesFiltered(ctx, NodeListOptions{States: []NodeState{NodeFree, NodeBusy}, Locked: &yes})
			return err
		}, "GET", "/api/v1/nodes", url.Values{"state": {"FREE", "BUSY"}, "locked": {"true"}}, ""},
		{"list unlocked", func() error {
			_, err := c.ListNodesFiltered(ctx, NodeListOptions{Locked: &no})
			return err
		}, "GET", "/api/v1/nodes", url.Values{"locked": {"false"}}, ""},
		{"list by source", func() error {
			_, err := c.ListNodesFiltered(ctx, NodeListOptions{Source: "lab", States: []NodeState{NodeLost}})
			return err
		}, "GET", "/api/v1/nodes", url.Values{"source": {"lab"}, "state": {"LOST"}}, ""},
		{"get", func() error { _, err := c.GetNode(ctx, "w-1"); return err }, "GET", "/api/v1/nodes/w-1", url.Values{}, ""},
		{"lock", func() error { _, err := c.LockNode(ctx, "w-1", "disk"); return err },
			"POST", "/api/v1/nodes/w-1/lock", url.Values{}, `{"reason":"disk"}`},
		{"unlock", func() error { _, err := c.UnlockNode(ctx, "w-1"); return err }, "POST", "/api/v1/nodes/w-1/unlock", url.Values{}, ""},
		{"drain", func() error { _, err := c.DrainNode(ctx, "w-1", true); return err }, "POST", "/api/v1/nodes/w-1/drain", url.Values{}, ""},
		{"undrain", func() error { _, err := c.DrainNode(ctx, "w-1", false); return err }, "DELETE", "/api/v1/nodes/w-1/drain", url.Values{}, ""},
		{"remove", func() error { return c.RemoveNode(ctx, "w-1", false) }, "DELETE", "/api/v1/nodes/w-1", url.Values{}, ""},
		{"force remove", func() error { return c.RemoveNode(ctx, "w-1", true) }, "DELETE", "/api/v1/nodes/w-1", url.Values{"force": {"true"}}, ""},
		{"stats", func() error { _, err := c.RMStats(ctx); return err }, "GET", "/api/v1/rm", url.Values{}, ""},
		{"events", func() error { _, err := c.RMEvents(ctx, 0, 0); return err }, "GET", "/api/v1/rm/events", url.Values{}, ""},
		{"events after", func() error { _, err := c.RMEvents(ctx, 42, 10); return err },
			"GET", "/api/v1/rm/events", url.Values{"after": {"42"}, "limit": {"10"}}, ""},
		{"history", func() error { _, err := c.RMHistory(ctx, ""); return err }, "GET", "/api/v1/rm/history", url.Values{}, ""},
		{"history range", func() error { _, err := c.RMHistory(ctx, "1w"); return err },
			"GET", "/api/v1/rm/history", url.Values{"range": {"1w"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatalf("call: %v", err)
			}
			got := ts.last()
			if got.method != tc.method || got.path != tc.path || got.auth != "Bearer tok" ||
				!reflect.DeepEqual(got.query, tc.query) || got.body != tc.body {
				t.Errorf("request = %+v, want %s %s %v body %q", got, tc.method, tc.path, tc.query, tc.body)
			}
		})
	}
}

func TestClientNodeAnswers(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/nodes/w1":
			answer(w, 200, NodeDetail{Node: Node{Name: "w1", Locked: &NodeLock{By: "root", At: at}},
				Facts: NodeFacts{Hostname: "h1"}, History: []NodeEvent{{Seq: 3, Event: "locked"}}})
		case "/api/v1/rm/events":
			answer(w, 200, RMEventList{Events: []NodeEvent{{Seq: 5, Node: "w1"}}, Next: 5})
		case "/api/v1/rm/history":
			answer(w, 200, RMHistory{Range: "1d", Step: Duration(15 * time.Minute), Samples: []RMSample{{Time: at, Busy: 2}}})
		case "/api/v1/nodes/gone":
			answer(w, 404, Error{Code: CodeNotFound, Message: "node gone not found"})
		}
	})
	c := NewClient(ts.URL, "tok")
	ctx := context.Background()
	d, err := c.GetNode(ctx, "w1")
	if err != nil || d.Name != "w1" || d.Locked == nil || d.Locked.By != "root" || d.Facts.Hostname != "h1" || len(d.History) != 1 {
		t.Errorf("GetNode = %+v, %v", d, err)
	}
	ev, err := c.RMEvents(ctx, 4, 0)
	if err != nil || ev.Next != 5 || len(ev.Events) != 1 {
		t.Errorf("RMEvents = %+v, %v", ev, err)
	}
	h, err := c.RMHistory(ctx, "1d")
	if err != nil || h.Step != Duration(15*time.Minute) || len(h.Samples) != 1 || h.Samples[0].Busy != 2 {
		t.Errorf("RMHistory = %+v, %v", h, err)
	}
	if err := c.RemoveNode(ctx, "gone", false); !IsCode(err, CodeNotFound) {
		t.Errorf("RemoveNode of an unknown node = %v, want not_found", err)
	}
}

func TestClientErrors(t *testing.T) {
	tests := map[string]struct {
		status int
		body   string
		want   Error
	}{
		"API error": {400, `{"code":"invalid","message":"invalid request: 2 problems",
			"errors":[{"field":"name","message":"required"},{"field":"tasks","message":"empty"}]}`,
			Error{Code: CodeInvalid, Message: "invalid request: 2 problems", Status: 400,
				Errors: []FieldError{{"name", "required"}, {"tasks", "empty"}}}},
		"not JSON": {502, "<html>bad gateway</html>",
			Error{Code: CodeUnavailable, Message: "Bad Gateway", Status: 502}},
		"JSON without code": {404, `{"oops": 1}`,
			Error{Code: CodeNotFound, Message: "Not Found", Status: 404}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			_, err := NewClient(ts.URL, "t").GetJob(context.Background(), 1)
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("err = %#v, want %#v", *got, tc.want)
			}
		})
	}
}

func TestClientUnreachable(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	ts.Close()
	_, err := NewClient(ts.URL, "").Health(context.Background())
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("err = %v, want a cannot-reach error", err)
	}
}

func TestClientTaskLog(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		for _, chunk := range []string{"one\n", "two\n", "three\n"} {
			_, _ = io.WriteString(w, chunk)
			w.(http.Flusher).Flush()
		}
	})
	var out strings.Builder
	opts := LogOptions{Attempt: 2, Offset: 10}
	if err := NewClient(ts.URL, "t").TaskLog(context.Background(), 3, "a b", opts, &out); err != nil {
		t.Fatalf("TaskLog: %v", err)
	}
	if out.String() != "one\ntwo\nthree\n" {
		t.Errorf("output = %q", out.String())
	}
	got := ts.last()
	want := url.Values{"attempt": {"2"}, "offset": {"10"}}
	if got.path != "/api/v1/jobs/3/tasks/a b/logs" || !reflect.DeepEqual(got.query, want) {
		t.Errorf("request = %+v", got)
	}
}

func TestClientWaitJob(t *testing.T) {
	states := []JobState{JobPending, JobRunning, JobRunning, JobFailed}
	var mu sync.Mutex
	ts := newTestServer(t, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		st := states[0]
		if len(states) > 1 {
			states = states[1:]
		}
		mu.Unlock()
		answer(w, 200, Job{ID: 4, State: st})
	})
	var seen []JobState
	job, err := NewClient(ts.URL, "t").WaitJob(context.Background(), 4, time.Millisecond,
		func(j Job) { seen = append(seen, j.State) })
	if err != nil || job.State != JobFailed {
		t.Fatalf("WaitJob = %s, %v; want FAILED", job.State, err)
	}
	if want := []JobState{JobPending, JobRunning, JobRunning, JobFailed}; !reflect.DeepEqual(seen, want) {
		t.Errorf("progress saw %v, want %v", seen, want)
	}
}

func TestClientWaitJobTimeout(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, _ *http.Request) {
		answer(w, 200, Job{ID: 4, State: JobRunning})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	job, err := NewClient(ts.URL, "t").WaitJob(ctx, 4, 5*time.Millisecond, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if job.State != JobRunning {
		t.Errorf("last state = %q, want RUNNING", job.State)
	}
}

func TestClientSourceRequests(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "DELETE":
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/api/v1/infrastructures", r.URL.Path == "/api/v1/policies":
			answer(w, 200, []KindInfo{})
		case r.Method == "GET" && (r.URL.Path == "/api/v1/node-sources" || r.URL.Path == "/api/v1/node-sources/lab/tokens"):
			answer(w, 200, []any{})
		default:
			answer(w, 200, map[string]any{})
		}
	})
	c := NewClient(ts.URL, "tok")
	ctx := context.Background()
	desc := "gpu boxes"
	tests := []struct {
		name   string
		call   func() error
		method string
		path   string
		query  url.Values
		body   string
	}{
		{"infrastructures", func() error { _, err := c.Infrastructures(ctx); return err }, "GET", "/api/v1/infrastructures", url.Values{}, ""},
		{"policies", func() error { _, err := c.Policies(ctx); return err }, "GET", "/api/v1/policies", url.Values{}, ""},
		{"list", func() error { _, err := c.ListSources(ctx); return err }, "GET", "/api/v1/node-sources", url.Values{}, ""},
		{"get", func() error { _, err := c.GetSource(ctx, "lab"); return err }, "GET", "/api/v1/node-sources/lab", url.Values{}, ""},
		{"create", func() error {
			_, err := c.CreateSource(ctx, NodeSourceSpec{Name: "lab", Infrastructure: PluginSpec{Type: "enroll"},
				Policy: PluginSpec{Type: "static", Params: map[string]string{"nodes": "2"}}, Deploy: true})
			return err
		}, "POST", "/api/v1/node-sources", url.Values{},
			`{"name":"lab","infrastructure":{"type":"enroll"},"policy":{"type":"static","params":{"nodes":"2"}},"access":{},"deploy":true}`},
		{"update", func() error {
			_, err := c.UpdateSource(ctx, "lab", NodeSourceUpdate{Description: &desc, PolicyParams: map[string]string{"nodes": ""}})
			return err
		}, "PATCH", "/api/v1/node-sources/lab", url.Values{}, `{"description":"gpu boxes","policy_params":{"nodes":""}}`},
		{"deploy", func() error { _, err := c.DeploySource(ctx, "lab"); return err }, "POST", "/api/v1/node-sources/lab/deploy", url.Values{}, ""},
		{"undeploy", func() error { _, err := c.UndeploySource(ctx, "lab", UndeployRequest{Preempt: true}); return err },
			"POST", "/api/v1/node-sources/lab/undeploy", url.Values{}, `{"preempt":true}`},
		{"delete", func() error { return c.DeleteSource(ctx, "lab", false) }, "DELETE", "/api/v1/node-sources/lab", url.Values{}, ""},
		{"delete preempting", func() error { return c.DeleteSource(ctx, "lab", true) },
			"DELETE", "/api/v1/node-sources/lab", url.Values{"preempt": {"true"}}, ""},
		{"create token", func() error {
			_, err := c.CreateEnrollToken(ctx, "lab", EnrollTokenRequest{OneTime: true, TTL: Duration(time.Hour), Description: "ws12"})
			return err
		}, "POST", "/api/v1/node-sources/lab/tokens", url.Values{}, `{"one_time":true,"ttl":"1h0m0s","description":"ws12"}`},
		{"list tokens", func() error { _, err := c.ListEnrollTokens(ctx, "lab"); return err }, "GET", "/api/v1/node-sources/lab/tokens", url.Values{}, ""},
		{"revoke token", func() error { return c.RevokeEnrollToken(ctx, "lab", "tok 1") },
			"DELETE", "/api/v1/node-sources/lab/tokens/tok 1", url.Values{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatalf("call: %v", err)
			}
			got := ts.last()
			if got.method != tc.method || got.path != tc.path || got.auth != "Bearer tok" ||
				!reflect.DeepEqual(got.query, tc.query) || got.body != tc.body {
				t.Errorf("request = %+v, want %s %s %v body %s", got, tc.method, tc.path, tc.query, tc.body)
			}
		})
	}
}

func TestClientSourceAnswers(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/policies":
			answer(w, 200, []KindInfo{{Name: "elastic", Params: []Param{{Name: "max_nodes", Type: ParamInt, Required: true}}}})
		case "/api/v1/node-sources/lab":
			answer(w, 200, NodeSource{NodeSourceSpec: NodeSourceSpec{Name: "lab", Infrastructure: PluginSpec{Type: "ssh",
				Params: map[string]string{"password": "******"}}}, Status: SourceDeployed, NextCheck: &at,
				Nodes: map[NodeState]int{NodeFree: 2}})
		case "/api/v1/node-sources/lab/tokens":
			answer(w, 201, EnrollToken{ID: "tok-1", Token: "s3cret", ExpiresAt: &at})
		case "/api/v1/node-sources/gone/deploy":
			answer(w, 404, Error{Code: CodeNotFound, Message: "node source gone not found"})
		case "/api/v1/nodes/join":
			answer(w, 401, Error{Code: CodeBadToken, Message: "spent"})
		}
	})
	c := NewClient(ts.URL, "tok")
	ctx := context.Background()
	kinds, err := c.Policies(ctx)
	if err != nil || len(kinds) != 1 || !kinds[0].Params[0].Required {
		t.Errorf("Policies = %+v, %v", kinds, err)
	}
	src, err := c.GetSource(ctx, "lab")
	if err != nil || src.Name != "lab" || src.Status != SourceDeployed || src.Nodes[NodeFree] != 2 ||
		src.NextCheck == nil || !src.NextCheck.Equal(at) || src.Infrastructure.Params["password"] != "******" {
		t.Errorf("GetSource = %+v, %v", src, err)
	}
	tok, err := c.CreateEnrollToken(ctx, "lab", EnrollTokenRequest{})
	if err != nil || tok.Token != "s3cret" || tok.ExpiresAt == nil {
		t.Errorf("CreateEnrollToken = %+v, %v", tok, err)
	}
	if _, err := c.DeploySource(ctx, "gone"); !IsCode(err, CodeNotFound) {
		t.Errorf("DeploySource of an unknown source = %v, want not_found", err)
	}
	if _, err := NewClient(ts.URL, "").JoinNode(ctx, JoinRequest{Token: "t", Name: "n"}); !IsCode(err, CodeBadToken) {
		t.Errorf("JoinNode = %v, want bad_token", err)
	}
	if got := ts.last(); got.auth != "" {
		t.Errorf("join sent Authorization %q", got.auth)
	}
}

func TestClientSelectionRequests(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/scripts/test" {
			answer(w, 200, ScriptTestResult{Node: "w1"})
			return
		}
		answer(w, 200, JobExplain{Tasks: []TaskExplain{}})
	})
	c := NewClient(ts.URL, "tok")
	ctx := context.Background()
	tests := []struct {
		name        string
		call        func() error
		method      string
		path        string
		query       url.Values
		contentType string
		body        string
	}{
		{"explain", func() error { _, err := c.ExplainJob(ctx, 7, ""); return err },
			"GET", "/api/v1/jobs/7/explain", url.Values{}, "", ""},
		{"explain a node", func() error { _, err := c.ExplainJob(ctx, 7, "w-1"); return err },
			"GET", "/api/v1/jobs/7/explain", url.Values{"node": {"w-1"}}, "", ""},
		{"dry run", func() error {
			_, err := c.DryRunJob(ctx, []byte("name: x"), "application/yaml", map[string]string{"a": "1"})
			return err
		}, "POST", "/api/v1/jobs", url.Values{"dry_run": {"true"}, "var": {"a=1"}}, "application/yaml", "name: x"},
		{"dry run with overrides", func() error {
			_, err := c.DryRunJobWith(ctx, []byte("{}"), "", SubmitOptions{Queue: "short", After: []int64{12, 13}, StartAt: "+10m"})
			return err
		}, "POST", "/api/v1/jobs", url.Values{"dry_run": {"true"}, "queue": {"short"}, "after": {"12", "13"}, "start_at": {"+10m"}}, "application/json", "{}"},
		{"dry run JSON by default", func() error { _, err := c.DryRunJob(ctx, []byte("{}"), "", nil); return err },
			"POST", "/api/v1/jobs", url.Values{"dry_run": {"true"}}, "application/json", "{}"},
		{"test script", func() error {
			_, err := c.TestScript(ctx, ScriptTestRequest{Script: SelectionScript{File: "gpu.lua", Args: []string{"A100"}},
				Node: "w1", Vars: map[string]string{"k": "v"}})
			return err
		}, "POST", "/api/v1/scripts/test", url.Values{}, "application/json",
			`{"script":{"file":"gpu.lua","type":"","args":["A100"]},"node":"w1","vars":{"k":"v"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatalf("call: %v", err)
			}
			got := ts.last()
			if got.method != tc.method || got.path != tc.path || got.contentType != tc.contentType ||
				got.auth != "Bearer tok" || !reflect.DeepEqual(got.query, tc.query) || got.body != tc.body {
				t.Errorf("request = %+v, want %s %s %v (%q) body %q", got, tc.method, tc.path, tc.query, tc.contentType, tc.body)
			}
		})
	}
}

func TestClientSelectionAnswers(t *testing.T) {
	ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/jobs/7/explain":
			answer(w, 200, JobExplain{JobID: 7, Tasks: []TaskExplain{{Task: "a", State: TaskPending,
				Reasons: []Reason{{Count: 3, Message: "gpu.lua returned false"}},
				Node:    &NodeVerdict{Node: "w1", Scripts: []ScriptVerdict{{Script: "gpu.lua", Reason: "returned false", Cached: true}}}}}})
		case r.URL.Path == "/api/v1/jobs/8/explain":
			answer(w, 404, Error{Code: CodeNotFound, Message: "job 8 not found"})
		case r.URL.Path == "/api/v1/jobs":
			answer(w, 400, Error{Code: CodeInvalid, Message: "invalid request: 1 problem",
				Errors: []FieldError{{Field: "tasks[0].selection[0].file", Message: "unknown"}}})
		case r.URL.Path == "/api/v1/scripts/test":
			answer(w, 200, ScriptTestResult{Node: "w1", Verdict: ScriptVerdict{Script: "gpu.lua", Selected: true},
				Duration: Duration(2 * time.Millisecond), Facts: map[string]any{"os": "linux"}})
		}
	})
	c := NewClient(ts.URL, "tok")
	ctx := context.Background()
	ex, err := c.ExplainJob(ctx, 7, "w1")
	if err != nil || ex.JobID != 7 || len(ex.Tasks) != 1 || ex.Tasks[0].Reasons[0].Count != 3 ||
		ex.Tasks[0].Node == nil || !ex.Tasks[0].Node.Scripts[0].Cached {
		t.Errorf("ExplainJob = %+v, %v", ex, err)
	}
	if _, err := c.ExplainJob(ctx, 8, ""); !IsCode(err, CodeNotFound) {
		t.Errorf("ExplainJob of an unknown job = %v, want not_found", err)
	}
	var e *Error
	if _, err := c.DryRunJob(ctx, []byte("{}"), "", nil); !errors.As(err, &e) || e.Code != CodeInvalid || len(e.Errors) != 1 {
		t.Errorf("DryRunJob of an invalid job = %v, want invalid with its field", err)
	}
	res, err := c.TestScript(ctx, ScriptTestRequest{Script: SelectionScript{File: "gpu.lua"}, Node: "w1"})
	if err != nil || !res.Verdict.Selected || res.Duration != Duration(2*time.Millisecond) || res.Facts["os"] != "linux" {
		t.Errorf("TestScript = %+v, %v", res, err)
	}
}
