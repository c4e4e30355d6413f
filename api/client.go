package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultWaitPoll is how often WaitJob polls when given no interval.
const DefaultWaitPoll = time.Second

// Client is the Go client of the REST API, used by the CLI. It is safe for
// concurrent use. Every failed call returns an *Error with Status set to the
// HTTP status (0 when no answer came).
type Client struct {
	base  string // "http://host:port", no trailing slash
	token string
	http  *http.Client
}

// NewClient returns a client of the server at addr ("http://127.0.0.1:8080";
// a trailing slash is fine, and an address without a scheme gets http://)
// that authenticates with token ("" for none).
func NewClient(addr, token string) *Client {
	addr = strings.TrimRight(strings.TrimSpace(addr), "/")
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	// More idle connections than the default 2, for callers that submit
	// from many goroutines. No overall timeout: followed logs and waits
	// are long; callers bound calls with ctx.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 32
	return &Client{base: addr, token: token, http: &http.Client{Transport: tr}}
}

// Addr returns the server address the client talks to.
func (c *Client) Addr() string { return c.base }

// ListJobsOptions filters ListJobs; zero values mean no filter and the
// server's default page.
type ListJobsOptions struct {
	States []JobState
	Owner  string
	// Parent keeps the jobs that job's tasks submitted.
	Parent int64
	Offset int
	Limit  int
}

// NodeListOptions filters ListNodesFiltered; zero values mean no filter.
type NodeListOptions struct {
	// States keeps nodes in one of these states.
	States []NodeState
	// Locked, if set, keeps locked nodes (true) or unlocked ones (false).
	Locked *bool
	// Source keeps the nodes of this node source.
	Source string
}

// LogOptions selects what TaskLog reads.
type LogOptions struct {
	// Follow keeps reading until the attempt is over.
	Follow bool
	// Attempt is the attempt to read; 0 means the latest.
	Attempt int
	// Offset is the byte offset to start from.
	Offset int64
}

// Health asks whether the server is up (no token needed).
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	err := c.call(ctx, http.MethodGet, "/healthz", nil, nil, &h)
	return h, err
}

// Login exchanges a user name and password for a token. It does not change
// the client's own token: make a new client with the answer's Token.
func (c *Client) Login(ctx context.Context, user, pass string) (LoginResponse, error) {
	var resp LoginResponse
	err := c.call(ctx, http.MethodPost, "/api/v1/auth/login", nil,
		jsonBody(LoginRequest{Username: user, Password: pass}), &resp)
	return resp, err
}

// Logout ends the session of the client's token.
func (c *Client) Logout(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "/api/v1/auth/logout", nil, nil, nil)
}

// SubmitJob submits a job document. contentType is "application/yaml" for
// YAML and "application/json" (or "") for JSON; vars override the job's
// variables.
func (c *Client) SubmitJob(ctx context.Context, doc []byte, contentType string, vars map[string]string) (SubmitResponse, error) {
	return c.SubmitJobWith(ctx, doc, contentType, SubmitOptions{Vars: vars})
}

// SubmitOptions change a job document as it is submitted.
type SubmitOptions struct {
	// Vars override job variables.
	Vars map[string]string
	// Queue, when set, replaces the document's queue.
	Queue string
	// After adds jobs to the document's depends_on_jobs.
	After []int64
	// StartAt replaces its start_at: an RFC 3339 time, or "+DURATION"
	// from the server's now ("+10m").
	StartAt string
}

// SubmitJobWith is SubmitJob with every override a submission takes.
func (c *Client) SubmitJobWith(ctx context.Context, doc []byte, contentType string, o SubmitOptions) (SubmitResponse, error) {
	if contentType == "" {
		contentType = "application/json"
	}
	var resp SubmitResponse
	err := c.call(ctx, http.MethodPost, "/api/v1/jobs", o.query(), &body{contentType, doc}, &resp)
	return resp, err
}

// query is the query string of a submission with o.
func (o SubmitOptions) query() url.Values {
	q := url.Values{}
	for k, v := range o.Vars {
		q.Add("var", k+"="+v)
	}
	for _, id := range o.After {
		q.Add("after", strconv.FormatInt(id, 10))
	}
	if o.StartAt != "" {
		q.Set("start_at", o.StartAt)
	}
	if o.Queue != "" {
		q.Set("queue", o.Queue)
	}
	return q
}

// DryRunJob asks what would happen if the job document were submitted
// now, like SubmitJob (same arguments, same validation errors), but
// nothing is stored: the answer says, for each task, which nodes could
// run it and why the others cannot.
func (c *Client) DryRunJob(ctx context.Context, doc []byte, contentType string, vars map[string]string) (JobExplain, error) {
	return c.DryRunJobWith(ctx, doc, contentType, SubmitOptions{Vars: vars})
}

// DryRunJobWith is DryRunJob with every override a submission takes, as
// SubmitJobWith.
func (c *Client) DryRunJobWith(ctx context.Context, doc []byte, contentType string, o SubmitOptions) (JobExplain, error) {
	if contentType == "" {
		contentType = "application/json"
	}
	q := o.query()
	q.Set("dry_run", "true")
	var explain JobExplain
	err := c.call(ctx, http.MethodPost, "/api/v1/jobs", q, &body{contentType, doc}, &explain)
	return explain, err
}

// ExplainJob says why each pending task of a job waits, counted across
// nodes; with node set ("" for none), also that node's detailed verdict.
func (c *Client) ExplainJob(ctx context.Context, id int64, node string) (JobExplain, error) {
	var q url.Values
	if node != "" {
		q = url.Values{"node": {node}}
	}
	var explain JobExplain
	err := c.call(ctx, http.MethodGet, jobPath(id)+"/explain", q, nil, &explain)
	return explain, err
}

// TestScript evaluates one selection script against a live node (admins
// only) and returns its verdict and what it saw.
func (c *Client) TestScript(ctx context.Context, req ScriptTestRequest) (ScriptTestResult, error) {
	var res ScriptTestResult
	err := c.call(ctx, http.MethodPost, "/api/v1/scripts/test", nil, jsonBody(req), &res)
	return res, err
}

// ListJobs returns one page of the jobs the caller may see, newest first.
func (c *Client) ListJobs(ctx context.Context, opts ListJobsOptions) (JobList, error) {
	q := url.Values{}
	for _, s := range opts.States {
		q.Add("state", string(s))
	}
	if opts.Owner != "" {
		q.Set("owner", opts.Owner)
	}
	if opts.Parent > 0 {
		q.Set("parent", strconv.FormatInt(opts.Parent, 10))
	}
	if opts.Offset > 0 {
		q.Set("offset", strconv.Itoa(opts.Offset))
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	var list JobList
	err := c.call(ctx, http.MethodGet, "/api/v1/jobs", q, nil, &list)
	return list, err
}

// GetJob returns a job with its tasks.
func (c *Client) GetJob(ctx context.Context, id int64) (Job, error) {
	var job Job
	err := c.call(ctx, http.MethodGet, jobPath(id), nil, nil, &job)
	return job, err
}

// GetJobSpec returns the job document as the server stored it.
func (c *Client) GetJobSpec(ctx context.Context, id int64) (JobSpec, error) {
	var spec JobSpec
	err := c.call(ctx, http.MethodGet, jobPath(id)+"/spec", nil, nil, &spec)
	return spec, err
}

// KillJob kills a job and returns it as it is after the kill.
func (c *Client) KillJob(ctx context.Context, id int64) (Job, error) {
	var job Job
	err := c.call(ctx, http.MethodDelete, jobPath(id), nil, nil, &job)
	return job, err
}

// TaskLog copies a task's output to w. With Follow it keeps reading
// until the attempt is over (or ctx ends), waking on the job's events
// (followTaskLog); otherwise it copies what exists.
func (c *Client) TaskLog(ctx context.Context, jobID int64, task string, opts LogOptions, w io.Writer) error {
	if opts.Follow {
		return c.followTaskLog(ctx, jobID, task, opts, w)
	}
	_, err := c.readTaskLog(ctx, jobID, task, opts, w)
	return err
}

// readTaskLog is one GET of a task's output, copied to w: what exists, or
// with opts.Follow everything until the attempt is over.
func (c *Client) readTaskLog(ctx context.Context, jobID int64, task string, opts LogOptions, w io.Writer) (logRead, error) {
	q := url.Values{}
	if opts.Follow {
		q.Set("follow", "true")
	}
	if opts.Attempt > 0 {
		q.Set("attempt", strconv.Itoa(opts.Attempt))
	}
	if opts.Offset > 0 {
		q.Set("offset", strconv.FormatInt(opts.Offset, 10))
	}
	resp, err := c.send(ctx, http.MethodGet, jobPath(jobID)+"/tasks/"+url.PathEscape(task)+"/logs", q, nil)
	if err != nil {
		return logRead{}, err
	}
	defer resp.Body.Close()
	var read logRead
	read.attempt, _ = strconv.Atoi(resp.Header.Get(HeaderAttempt))
	read.n, err = io.Copy(w, resp.Body)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return read, ctxErr
		}
		return read, fmt.Errorf("reading the output of task %s: %w", task, err)
	}
	// The trailer is there once the body was read to its end.
	read.done, read.knowsDone = resp.Trailer.Get(TrailerLogDone) == "true", resp.Trailer.Get(TrailerLogDone) != ""
	return read, nil
}

// readJob reads job id into last and shows it to progress; done when the
// job is over. When ctx is over, the error is ctx.Err().
func (c *Client) readJob(ctx context.Context, id int64, last *Job, progress func(Job)) (done bool, err error) {
	job, err := c.GetJob(ctx, id)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return false, ctxErr
		}
		return false, err
	}
	*last = job
	if progress != nil {
		progress(job)
	}
	return job.State.Terminal(), nil
}

// WaitJob polls a job every poll (DefaultWaitPoll if 0) until its state is
// terminal and returns it. progress, if not nil, sees every polled state.
// When ctx ends first, WaitJob returns the last state seen and ctx.Err().
func (c *Client) WaitJob(ctx context.Context, id int64, poll time.Duration, progress func(Job)) (Job, error) {
	if poll <= 0 {
		poll = DefaultWaitPoll
	}
	var last Job
	for {
		if done, err := c.readJob(ctx, id, &last, progress); done || err != nil {
			return last, err
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return last, ctx.Err()
		case <-t.C:
		}
	}
}

// ListNodes returns every node the resource manager knows.
func (c *Client) ListNodes(ctx context.Context) ([]Node, error) {
	return c.ListNodesFiltered(ctx, NodeListOptions{})
}

// ListNodesFiltered returns the nodes that pass opts.
func (c *Client) ListNodesFiltered(ctx context.Context, opts NodeListOptions) ([]Node, error) {
	q := url.Values{}
	for _, s := range opts.States {
		q.Add("state", string(s))
	}
	if opts.Locked != nil {
		q.Set("locked", strconv.FormatBool(*opts.Locked))
	}
	if opts.Source != "" {
		q.Set("source", opts.Source)
	}
	var nodes []Node
	err := c.call(ctx, http.MethodGet, "/api/v1/nodes", q, nil, &nodes)
	return nodes, err
}

// GetNode returns a node with its facts and recent history.
func (c *Client) GetNode(ctx context.Context, name string) (NodeDetail, error) {
	var d NodeDetail
	err := c.call(ctx, http.MethodGet, nodePath(name), nil, nil, &d)
	return d, err
}

// LockNode keeps a node from new work (admins only); its running tasks go
// on. reason may be empty.
func (c *Client) LockNode(ctx context.Context, name, reason string) (Node, error) {
	var n Node
	err := c.call(ctx, http.MethodPost, nodePath(name)+"/lock", nil, jsonBody(NodeLockRequest{Reason: reason}), &n)
	return n, err
}

// UnlockNode lets a locked node take new work again (admins only).
func (c *Client) UnlockNode(ctx context.Context, name string) (Node, error) {
	var n Node
	err := c.call(ctx, http.MethodPost, nodePath(name)+"/unlock", nil, nil, &n)
	return n, err
}

// DrainNode starts draining a node (on) or cancels a drain (admins only).
func (c *Client) DrainNode(ctx context.Context, name string, on bool) (Node, error) {
	method := http.MethodPost
	if !on {
		method = http.MethodDelete
	}
	var n Node
	err := c.call(ctx, method, nodePath(name)+"/drain", nil, nil, &n)
	return n, err
}

// RemoveNode forgets a node (admins only). A node that still runs tasks is
// refused with CodeConflict unless force, which hands its tasks back to
// the scheduler.
func (c *Client) RemoveNode(ctx context.Context, name string, force bool) error {
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	return c.call(ctx, http.MethodDelete, nodePath(name), q, nil, nil)
}

// RMStats returns the resource manager's node counts and capacity.
func (c *Client) RMStats(ctx context.Context) (RMStats, error) {
	var st RMStats
	err := c.call(ctx, http.MethodGet, "/api/v1/rm", nil, nil, &st)
	return st, err
}

// RMEvents returns node events with Seq > after, oldest first, at most
// limit (0: the server's default). Ask again after the answer's Next.
func (c *Client) RMEvents(ctx context.Context, after int64, limit int) (RMEventList, error) {
	q := url.Values{}
	if after > 0 {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var list RMEventList
	err := c.call(ctx, http.MethodGet, "/api/v1/rm/events", q, nil, &list)
	return list, err
}

// RMHistory returns node counts by state over rng: "1h", "1d" or "1w"
// ("" for the server's default, 1h).
func (c *Client) RMHistory(ctx context.Context, rng string) (RMHistory, error) {
	var q url.Values
	if rng != "" {
		q = url.Values{"range": {rng}}
	}
	var h RMHistory
	err := c.call(ctx, http.MethodGet, "/api/v1/rm/history", q, nil, &h)
	return h, err
}

// CreateUser creates a user account (admins only).
func (c *Client) CreateUser(ctx context.Context, req CreateUserRequest) (User, error) {
	var u User
	err := c.call(ctx, http.MethodPost, "/api/v1/users", nil, jsonBody(req), &u)
	return u, err
}

// ListUsers returns every user account (admins only).
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	var users []User
	err := c.call(ctx, http.MethodGet, "/api/v1/users", nil, nil, &users)
	return users, err
}

// jobPath is the URL path of a job.
func jobPath(id int64) string { return "/api/v1/jobs/" + strconv.FormatInt(id, 10) }

// nodePath is the URL path of a node.
func nodePath(name string) string { return "/api/v1/nodes/" + url.PathEscape(name) }

// body is a request body with its content type.
type body struct {
	contentType string
	data        []byte
}

// jsonBody encodes v as a JSON request body. The API's request types
// always encode.
func jsonBody(v any) *body {
	data, _ := json.Marshal(v)
	return &body{"application/json", data}
}

// call sends one request and decodes a 2xx JSON answer into out (nil to
// discard it).
func (c *Client) call(ctx context.Context, method, path string, q url.Values, in *body, out any) error {
	resp, err := c.send(ctx, method, path, q, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return &Error{Code: CodeInternal, Status: resp.StatusCode,
			Message: fmt.Sprintf("%s %s: decoding the answer: %v", method, path, err)}
	}
	return nil
}

// send sends one request and returns the response if its status is 2xx;
// otherwise it closes the body and returns the *Error it carried.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, in *body) (*http.Response, error) {
	var (
		rd  io.Reader
		hdr = http.Header{}
	)
	if in != nil {
		rd = bytes.NewReader(in.data)
		hdr.Set("Content-Type", in.contentType)
	}
	req, err := c.newRequest(ctx, method, path, q, rd, hdr)
	if err != nil {
		return nil, err
	}
	return c.do(req)
}

// newRequest builds a request of the API with the client's token and the
// headers in hdr.
func (c *Client) newRequest(ctx context.Context, method, path string, q url.Values, rd io.Reader, hdr http.Header) (*http.Request, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, &Error{Code: CodeBadRequest, Message: err.Error()}
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// do sends req and returns the response if its status is 2xx; otherwise
// it closes the body and returns the *Error it carried.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, errorFrom(resp)
}

// transportError wraps a failure to get any answer. The context's error
// stays reachable with errors.Is, so callers can tell a timeout.
func (c *Client) transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("cannot reach %s: %w", c.base, err)
}

// errorFrom reads the *Error of a non-2xx answer; bodies that are not an
// API error fall back to the HTTP status text.
func errorFrom(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e Error
	if err := json.Unmarshal(data, &e); err != nil || e.Code == "" {
		e = Error{Code: codeForStatus(resp.StatusCode), Message: http.StatusText(resp.StatusCode)}
		if e.Message == "" {
			e.Message = resp.Status
		}
	}
	e.Status = resp.StatusCode
	return &e
}

// codeForStatus guesses the code of an answer that carried none (a proxy's
// error page, say).
func codeForStatus(status int) Code {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusRequestedRangeNotSatisfiable:
		return CodeBadRequest
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusConflict:
		return CodeConflict
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout:
		return CodeUnavailable
	}
	return CodeInternal
}

// JoinNode trades an enrollment token for a node's own credentials
// (`POST /nodes/join`; needs no login).
func (c *Client) JoinNode(ctx context.Context, req JoinRequest) (NodeCredentials, error) {
	var cred NodeCredentials
	err := c.call(ctx, http.MethodPost, "/api/v1/nodes/join", nil, jsonBody(req), &cred)
	return cred, err
}

// Infrastructures describes every infrastructure kind and its parameters.
func (c *Client) Infrastructures(ctx context.Context) ([]KindInfo, error) {
	var kinds []KindInfo
	err := c.call(ctx, http.MethodGet, "/api/v1/infrastructures", nil, nil, &kinds)
	return kinds, err
}

// Policies describes every policy kind and its parameters.
func (c *Client) Policies(ctx context.Context) ([]KindInfo, error) {
	var kinds []KindInfo
	err := c.call(ctx, http.MethodGet, "/api/v1/policies", nil, nil, &kinds)
	return kinds, err
}

// ListSources returns the node sources the caller may use or administer.
func (c *Client) ListSources(ctx context.Context) ([]NodeSource, error) {
	var list []NodeSource
	err := c.call(ctx, http.MethodGet, "/api/v1/node-sources", nil, nil, &list)
	return list, err
}

// GetSource returns a node source, its secret parameters redacted.
func (c *Client) GetSource(ctx context.Context, name string) (NodeSource, error) {
	var src NodeSource
	err := c.call(ctx, http.MethodGet, sourcePath(name), nil, nil, &src)
	return src, err
}

// CreateSource creates a node source (admins only); the server reports
// every problem of spec at once (CodeInvalid).
func (c *Client) CreateSource(ctx context.Context, spec NodeSourceSpec) (NodeSource, error) {
	var src NodeSource
	err := c.call(ctx, http.MethodPost, "/api/v1/node-sources", nil, jsonBody(spec), &src)
	return src, err
}

// UpdateSource changes a node source's parameters, access or node tokens.
func (c *Client) UpdateSource(ctx context.Context, name string, u NodeSourceUpdate) (NodeSource, error) {
	var src NodeSource
	err := c.call(ctx, http.MethodPatch, sourcePath(name), nil, jsonBody(u), &src)
	return src, err
}

// DeploySource deploys a node source: its policy starts acquiring nodes.
func (c *Client) DeploySource(ctx context.Context, name string) (NodeSource, error) {
	var src NodeSource
	err := c.call(ctx, http.MethodPost, sourcePath(name)+"/deploy", nil, nil, &src)
	return src, err
}

// UndeploySource releases a node source's nodes, waiting for their tasks
// unless req.Preempt.
func (c *Client) UndeploySource(ctx context.Context, name string, req UndeployRequest) (NodeSource, error) {
	var src NodeSource
	err := c.call(ctx, http.MethodPost, sourcePath(name)+"/undeploy", nil, jsonBody(req), &src)
	return src, err
}

// DeleteSource undeploys and forgets a node source. One with busy nodes is
// refused with CodeConflict unless preempt.
func (c *Client) DeleteSource(ctx context.Context, name string, preempt bool) error {
	var q url.Values
	if preempt {
		q = url.Values{"preempt": {"true"}}
	}
	return c.call(ctx, http.MethodDelete, sourcePath(name), q, nil, nil)
}

// CreateEnrollToken makes an enrollment token of a node source; its
// secret (Token) is returned only here.
func (c *Client) CreateEnrollToken(ctx context.Context, source string, req EnrollTokenRequest) (EnrollToken, error) {
	var tok EnrollToken
	err := c.call(ctx, http.MethodPost, sourcePath(source)+"/tokens", nil, jsonBody(req), &tok)
	return tok, err
}

// ListEnrollTokens returns a node source's enrollment tokens, without
// their secrets.
func (c *Client) ListEnrollTokens(ctx context.Context, source string) ([]EnrollToken, error) {
	var toks []EnrollToken
	err := c.call(ctx, http.MethodGet, sourcePath(source)+"/tokens", nil, nil, &toks)
	return toks, err
}

// RevokeEnrollToken revokes an enrollment token; nodes that joined with
// it keep their own credentials.
func (c *Client) RevokeEnrollToken(ctx context.Context, source, id string) error {
	return c.call(ctx, http.MethodDelete, sourcePath(source)+"/tokens/"+url.PathEscape(id), nil, nil, nil)
}

// sourcePath is the URL path of a node source.
func sourcePath(name string) string { return "/api/v1/node-sources/" + url.PathEscape(name) }
