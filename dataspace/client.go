package dataspace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// attempts is how many times the client tries one file (or the listing)
// before it gives up.
const attempts = 3

// defaultHTTP is the client used when Client.HTTP is nil: no overall
// timeout (transfers may be long) but bounded connection set-up and
// waits for an answer.
var defaultHTTP = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   15 * time.Second,
	ResponseHeaderTimeout: 5 * time.Minute, // a server hashes a large file before answering
	IdleConnTimeout:       90 * time.Second,
	MaxIdleConnsPerHost:   16,
	ForceAttemptHTTP2:     true,
}}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

func (c *Client) parallel() int {
	if c.Parallel > 0 {
		return c.Parallel
	}
	return 4
}

// reporter returns a function telling Progress about a file, one call at
// a time.
func (c *Client) reporter() func(format string, args ...any) {
	var mu sync.Mutex
	return func(format string, args ...any) {
		if c.Progress != nil {
			mu.Lock()
			defer mu.Unlock()
			c.Progress(fmt.Sprintf(format, args...))
		}
	}
}

// fileURL is <ServerURL>/api/v1/transfer/<space>/<path>, each segment
// escaped.
func (c *Client) fileURL(space, rel string) string {
	segs := strings.Split(rel, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.TrimSuffix(c.ServerURL, "/") + "/api/v1/transfer/" + url.PathEscape(space) + "/" + strings.Join(segs, "/")
}

func (c *Client) request(ctx context.Context, method, u string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, permanent(err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

// responseError turns a failed answer into an *api.Error with its Status
// (the server's api.Error when it sent one).
func responseError(req *http.Request, resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e api.Error
	if err := json.Unmarshal(data, &e); err != nil || e.Code == "" {
		e = api.Error{Code: api.CodeInternal, Message: strings.TrimSpace(string(data))}
		if e.Message == "" {
			e.Message = resp.Status
		}
	}
	e.Status = resp.StatusCode
	e.Message = fmt.Sprintf("%s %s: %s", req.Method, req.URL.Path, e.Message)
	return &e
}

// list asks the server for the files of space that sel selects.
func (c *Client) list(ctx context.Context, space string, sel Selector) ([]api.SpaceEntry, error) {
	q := url.Values{"walk": {"1"}}
	q["include"] = sel.Include
	q["exclude"] = sel.Exclude
	u := c.fileURL(space, "") + "?" + q.Encode()
	var list api.SpaceList
	err := c.retry(ctx, func() error {
		req, err := c.request(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := c.http().Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return responseError(req, resp)
		}
		list = api.SpaceList{}
		return json.NewDecoder(resp.Body).Decode(&list)
	})
	if err != nil {
		return nil, fmt.Errorf("listing the %s space: %w", space, err)
	}
	return list.Entries, nil
}

// permanentError marks an error no retry can mend (a local file system
// problem, a bad request).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// retryable reports whether another attempt may succeed: network
// failures, stalls, server errors (5xx, 408, 429), conflicts (409: a
// resume offset that moved) and checksum mismatches (422, or found here)
// do; refusals do not. (The caller's
// own context ending stops retry before it asks.)
func retryable(err error) bool {
	var p permanentError
	if errors.As(err, &p) {
		return false
	}
	var e *api.Error
	if errors.As(err, &e) && e.Status != 0 {
		return e.Status >= 500 || e.Status == http.StatusRequestTimeout ||
			e.Status == http.StatusTooManyRequests || e.Status == http.StatusConflict ||
			e.Status == http.StatusUnprocessableEntity // damaged on the way
	}
	return true
}

// retry runs fn up to attempts times while its error is retryable,
// pausing 250 ms, then 1 s, between tries.
func (c *Client) retry(ctx context.Context, fn func() error) error {
	pause := 250 * time.Millisecond
	for i := 1; ; i++ {
		err := fn()
		if err == nil || i == attempts || !retryable(err) || ctx.Err() != nil {
			if ctx.Err() != nil && err != nil && !errors.Is(err, ctx.Err()) {
				err = fmt.Errorf("%w (%w)", err, ctx.Err())
			}
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (%w)", err, ctx.Err())
		case <-t.C:
		}
		pause *= 4
	}
}
