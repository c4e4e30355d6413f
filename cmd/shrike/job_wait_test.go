package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestJobWaitExitCodes waits on a job that ends three ways, once woken by
// the job's events and once polling a server without them.
func TestJobWaitExitCodes(t *testing.T) {
	tests := []struct {
		final api.JobState
		code  int
	}{
		{api.JobFinished, exitOK},
		{api.JobFailed, exitJobFailed},
		{api.JobKilled, exitJobKilled},
	}
	for _, events := range []bool{true, false} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/events=%t", tc.final, events), func(t *testing.T) {
				c := newCLI(t)
				id := c.submitAsAlice("w")
				if events {
					// The first read sees RUNNING; the event wakes the second.
					c.fake.ScriptStates(id, api.JobRunning, tc.final)
					c.fake.PublishEvent(api.Event{Kind: "job", JobID: id, State: string(tc.final)})
				} else {
					c.withoutEvents(http.StatusNotFound)
					c.fake.ScriptStates(id, api.JobRunning, api.JobRunning, tc.final)
				}
				code, out, errOut := c.run("job", "wait", "1")
				if code != tc.code {
					t.Errorf("exit %d, want %d; stderr %q", code, tc.code, errOut)
				}
				if want := "Job 1 " + string(tc.final) + ": 1/1 tasks over.\n"; out != want {
					t.Errorf("stdout %q, want %q", out, want)
				}
				if errOut != "" {
					t.Errorf("stderr %q, want nothing", errOut)
				}
			})
		}
	}
}

// TestJobWaitWakesOnEvents waits with polling slowed to an hour: only the
// published events can wake the command, which must then return.
func TestJobWaitWakesOnEvents(t *testing.T) {
	c := newCLI(t)
	waitPoll = time.Hour
	id := c.submitAsAlice("w")
	// Bursts of events may wake one read: any read after the first ends it.
	c.fake.ScriptStates(id, api.JobRunning, api.JobFinished)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- c.runTo(ctx, &out, io.Discard, "job", "wait", "1") }()
	c.fake.PublishEvent(api.Event{Kind: "task", JobID: id, Task: "say", State: string(api.TaskRunning)})
	c.fake.PublishEvent(api.Event{Kind: "job", JobID: id, State: string(api.JobFinished)})
	select {
	case code := <-done:
		if code != exitOK || out.String() != "Job 1 FINISHED: 1/1 tasks over.\n" {
			t.Errorf("exit %d, stdout %q; want 0 and FINISHED", code, out.String())
		}
	case <-time.After(time.Minute): // hang detector only
		cancel()
		<-done
		t.Fatal("job wait did not return after the terminal event")
	}
}

// TestJobWaitPollsWithoutEvents waits against a server whose event
// stream answers an error status: the command polls as before.
func TestJobWaitPollsWithoutEvents(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusServiceUnavailable} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			c := newCLI(t)
			c.withoutEvents(status)
			id := c.submitAsAlice("w")
			c.fake.ScriptStates(id, api.JobPending, api.JobRunning, api.JobRunning, api.JobFailed)
			code, out, errOut := c.run("job", "wait", "1")
			if code != exitJobFailed || out != "Job 1 FAILED: 1/1 tasks over.\n" {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and FAILED", code, out, errOut, exitJobFailed)
			}
		})
	}
}

// withoutEvents points the commands at a server like c's whose event
// stream answers status, as an older server (404) or a broken one does.
func (c *cli) withoutEvents(status int) {
	c.t.Helper()
	inner := c.srv.Config.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/events" {
			http.Error(w, http.StatusText(status), status)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	c.t.Cleanup(srv.Close)
	c.vars[envAddr] = srv.URL
}

func TestJobWaitTimeout(t *testing.T) {
	c := newCLI(t)
	id := c.submitAsAlice("w")
	c.fake.ScriptStates(id, api.JobRunning)
	code, _, errOut := c.run("job", "wait", "--timeout", "200ms", "1")
	if code != exitTimeout || !strings.Contains(errOut, "shrike: timed out after 200ms waiting for job 1 (still RUNNING)") {
		t.Errorf("exit %d, stderr %q; want %d and a timeout message", code, errOut, exitTimeout)
	}
}

func TestJobWaitJSON(t *testing.T) {
	c := newCLI(t)
	id := c.submitAsAlice("w")
	c.fake.ScriptStates(id, api.JobFailed)
	code, out, _ := c.run("job", "wait", "1", "--json")
	var job api.Job
	if err := json.Unmarshal([]byte(out), &job); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if code != exitJobFailed || job.ID != 1 || job.State != api.JobFailed {
		t.Errorf("exit %d, job %+v", code, job)
	}
}

func TestJobWaitProgressBarOnATerminal(t *testing.T) {
	c := newCLI(t)
	c.terminal = true
	id := c.submitAsAlice("w")
	c.fake.ScriptStates(id, api.JobRunning, api.JobFinished)
	c.fake.PublishEvent(api.Event{Kind: "job", JobID: id, State: string(api.JobFinished)})
	out := c.mustRun("job", "wait", "1")
	if !strings.Contains(out, "\r[") || !strings.Contains(out, "] 1/1 tasks finished") {
		t.Errorf("stdout %q, want a progress bar", out)
	}
}

func TestJobWaitErrors(t *testing.T) {
	c := newCLI(t)
	if code, _, errOut := c.run("job", "wait", "9"); code != exitErr || !strings.Contains(errOut, "shrike: job 9 not found") {
		t.Errorf("unknown job: exit %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{{"job", "wait"}, {"job", "wait", "x"}, {"job", "wait", "1", "--timeout", "-1s"}} {
		if code, _, _ := c.run(args...); code != exitUsage {
			t.Errorf("shrike %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestRenderProgress(t *testing.T) {
	tests := []struct {
		done, total int
		want        string
	}{
		{5, 10, "[#####.....] 5/10 tasks finished"},
		{0, 3, "[..........] 0/3 tasks finished"},
		{3, 3, "[##########] 3/3 tasks finished"},
		{0, 0, "[..........] 0/0 tasks finished"},
	}
	for _, tc := range tests {
		if got := renderProgress(tc.done, tc.total, 10); got != tc.want {
			t.Errorf("renderProgress(%d, %d) = %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}

// TestWaitNotesInError: a wait that sees an IN_ERROR task says, once,
// that the job waits for a restart or a kill.
func TestWaitNotesInError(t *testing.T) {
	var errOut strings.Builder
	e := &env{stdout: io.Discard, stderr: &errOut}
	seen := 0
	note := noteInError(e, func(api.Job) { seen++ })
	job := api.Job{ID: 7, Tasks: []api.Task{{Name: "a", State: api.TaskRunning}, {Name: "b", State: api.TaskInError}}}
	note(job)
	note(job)
	if seen != 2 {
		t.Errorf("progress called %d times, want 2", seen)
	}
	if got := strings.Count(errOut.String(), "Task b of job 7 is IN_ERROR"); got != 1 || !strings.Contains(errOut.String(), "shrike job task restart 7 b") {
		t.Errorf("stderr %q, want one note naming the restart command", errOut.String())
	}
}
