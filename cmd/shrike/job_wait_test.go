package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestJobWaitExitCodes(t *testing.T) {
	tests := []struct {
		final api.JobState
		code  int
	}{
		{api.JobFinished, exitOK},
		{api.JobFailed, exitJobFailed},
		{api.JobKilled, exitJobKilled},
	}
	for _, tc := range tests {
		t.Run(string(tc.final), func(t *testing.T) {
			c := newCLI(t)
			id := c.submitAsAlice("w")
			c.fake.ScriptStates(id, api.JobRunning, api.JobRunning, tc.final)
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
