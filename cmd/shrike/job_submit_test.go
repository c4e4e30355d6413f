package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/jobspec"
)

const yamlJob = `name: hello
variables:
  who: nobody
tasks:
  - name: say
    command: [echo, "${who}"]
`

// writeFile writes a file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestJobSubmit(t *testing.T) {
	c := newCLI(t)
	c.fake.SetWarnings("task say has no walltime")
	file := writeFile(t, "hello.yaml", yamlJob)
	code, out, errOut := c.run("job", "submit", file, "--var", "who=world")
	if code != exitOK || out != "Submitted job 1.\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "warning: task say has no walltime") {
		t.Errorf("stderr %q lacks the warning", errOut)
	}
	specs := c.fake.Submitted()
	if len(specs) != 1 || specs[0].Name != "hello" || specs[0].Variables["who"] != "world" {
		t.Errorf("stored %+v", specs)
	}
}

func TestJobSubmitFromStdin(t *testing.T) {
	for name, doc := range map[string]string{
		"YAML": yamlJob,
		"JSON": `{"name": "hello", "tasks": [{"name": "say", "command": ["true"]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			c.stdin = doc
			out := c.mustRun("job", "submit", "--json", "-")
			if !strings.Contains(out, `"id": 1`) {
				t.Errorf("stdout %q, want the JSON answer", out)
			}
		})
	}
}

func TestJobSubmitInvalidPrintsEveryProblem(t *testing.T) {
	c := newCLI(t)
	doc := `name: ""
tasks:
  - name: a
    resources: {memory: lots}
  - name: b
    command: ["true"]
    depends_on: [nope]
`
	_, want := jobspec.Parse([]byte(doc))
	if len(want) < 2 {
		t.Fatalf("test document has %d problems, want at least 2", len(want))
	}
	code, out, errOut := c.run("job", "submit", writeFile(t, "bad.yml", doc))
	if code != exitErr || out != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
	}
	if !strings.HasPrefix(errOut, "shrike: invalid request") {
		t.Errorf("stderr %q", errOut)
	}
	for _, fe := range want {
		if !strings.Contains(errOut, fe.String()) {
			t.Errorf("stderr lacks %q:\n%s", fe.String(), errOut)
		}
	}
}

func TestJobSubmitWaitExitCodes(t *testing.T) {
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
			c.fake.ScriptStates(1, api.JobPending, api.JobRunning, tc.final)
			code, out, errOut := c.run("job", "submit", "--wait", writeFile(t, "j.yaml", yamlJob))
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tc.code, errOut)
			}
			if want := "Job 1 " + string(tc.final); !strings.HasPrefix(out, want) {
				t.Errorf("stdout %q, want %q...", out, want)
			}
		})
	}
}

func TestJobSubmitUsage(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{
		{"job", "submit"},
		{"job", "submit", "a.yaml", "b.yaml"},
		{"job", "submit", "a.yaml", "--var", "novalue"},
	} {
		if code, _, _ := c.run(args...); code != exitUsage {
			t.Errorf("shrike %v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, errOut := c.run("job", "submit", "/nonexistent/job.yaml"); code != exitErr ||
		!strings.Contains(errOut, "shrike: reading the job") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

func TestContentTypeFor(t *testing.T) {
	tests := []struct{ file, doc, want string }{
		{"job.yaml", "", "application/yaml"},
		{"JOB.YML", "", "application/yaml"},
		{"job.json", "", "application/json"},
		{"job", "", "application/json"},
		{"-", "  {\"name\": 1}", "application/json"},
		{"-", "name: x", "application/yaml"},
	}
	for _, tc := range tests {
		if got := contentTypeFor(tc.file, []byte(tc.doc)); got != tc.want {
			t.Errorf("contentTypeFor(%q, %q) = %q, want %q", tc.file, tc.doc, got, tc.want)
		}
	}
}

// TestJobSubmitAfterAndStartAt: --after and --start-at reach the job as
// depends_on_jobs and start_at; a bad --after is a usage error.
func TestJobSubmitAfterAndStartAt(t *testing.T) {
	c := newCLI(t)
	file := writeFile(t, "hello.yaml", yamlJob)
	c.mustRun("job", "submit", file, "--after", "12,13", "--after", "14", "--start-at", "2026-11-22T08:00:00Z")
	specs := c.fake.Submitted()
	if len(specs) != 1 {
		t.Fatalf("submitted %d jobs, want 1", len(specs))
	}
	if got := specs[0].DependsOnJobs; len(got) != 3 || got[0] != 12 || got[1] != 13 || got[2] != 14 {
		t.Errorf("depends_on_jobs %v, want [12 13 14]", got)
	}
	if at := specs[0].StartAt; at == nil || at.Format("2006-01-02T15:04:05Z07:00") != "2026-11-22T08:00:00Z" {
		t.Errorf("start_at %v, want 2026-11-22T08:00:00Z", at)
	}
	if code, _, errOut := c.run("job", "submit", file, "--after", "twelve"); code != exitUsage || !strings.Contains(errOut, `"twelve" is not a job id`) {
		t.Errorf("bad --after: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := c.run("job", "submit", file, "--start-at", "tomorrow"); code == exitOK || !strings.Contains(errOut, "start_at") {
		t.Errorf("bad --start-at: exit %d, stderr %q", code, errOut)
	}
	// A dry run sends them too: the server checks them as for a submission.
	if code, _, errOut := c.run("job", "submit", file, "--dry-run", "--start-at", "tomorrow"); code == exitOK || !strings.Contains(errOut, "start_at") {
		t.Errorf("bad --start-at with --dry-run: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := c.run("job", "submit", file, "--dry-run", "--after", "twelve"); code != exitUsage {
		t.Errorf("bad --after with --dry-run: exit %d, want usage", code)
	}
	c.mustRun("job", "ls", "--parent", "7")
	if q := c.fake.LastQuery(); q.Parent != 7 {
		t.Errorf("job ls --parent 7 sent parent %d", q.Parent)
	}
}
