package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/rest/resttest"
)

// cli runs client commands against a REST server over a FakeBackend.
// By default it acts as alice through $SHRIKE_ADDR and $SHRIKE_TOKEN.
type cli struct {
	t         *testing.T
	fake      *resttest.FakeBackend
	srv       *httptest.Server
	configDir string
	vars      map[string]string // the environment
	stdin     string
	terminal  bool
	password  string // what the password prompt answers; "" fails
	adminTok  string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	waitPoll = time.Millisecond
	eventPoll = time.Millisecond
	fake := resttest.NewFakeBackend()
	c := &cli{
		t:         t,
		fake:      fake,
		configDir: t.TempDir(),
		adminTok:  fake.AddUser("root", "root-pw", api.RoleAdmin),
	}
	alice := fake.AddUser("alice", "alice-pw", api.RoleUser)
	c.srv = httptest.NewServer(rest.New(fake, rest.Options{LogPoll: time.Millisecond}))
	t.Cleanup(c.srv.Close)
	c.vars = map[string]string{envAddr: c.srv.URL, envToken: alice}
	return c
}

// run runs one command line and returns its exit code and output.
func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	code = c.runTo(context.Background(), &out, &errOut, args...)
	return code, out.String(), errOut.String()
}

// runTo runs one command line under ctx, writing its output to stdout and
// stderr as it goes, and returns its exit code.
func (c *cli) runTo(ctx context.Context, stdout, stderr io.Writer, args ...string) int {
	c.t.Helper()
	e := &env{
		stdin:            strings.NewReader(c.stdin),
		stdout:           stdout,
		stderr:           stderr,
		getenv:           func(k string) string { return c.vars[k] },
		configDir:        func() (string, error) { return c.configDir, nil },
		stdoutIsTerminal: func() bool { return c.terminal },
		readPassword: func(string) (string, error) {
			if c.password == "" {
				return "", errors.New("no terminal to ask for the password on")
			}
			return c.password, nil
		},
	}
	return run(ctx, args, e)
}

// mustRun runs a command line that must succeed and returns its stdout.
func (c *cli) mustRun(args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run(args...)
	if code != exitOK {
		c.t.Fatalf("shrike %s: exit %d, stderr:\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// submitAsAlice stores a one-task job straight in the backend.
func (c *cli) submitAsAlice(name string) int64 {
	c.t.Helper()
	spec := api.JobSpec{Name: name, Tasks: []api.TaskSpec{{Name: "say", Command: []string{"echo", "hi"}}}}
	resp, err := c.fake.SubmitJob(context.Background(), rest.Principal{Name: "alice", Role: api.RoleUser}, spec)
	if err != nil {
		c.t.Fatalf("submit: %v", err)
	}
	return resp.ID
}
