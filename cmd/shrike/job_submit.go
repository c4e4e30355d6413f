package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// cmdJobSubmit is `shrike job submit`.
func cmdJobSubmit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job submit", "FILE [--var NAME=VALUE]... [--queue QUEUE] [--after ID,...] [--start-at TIME] [--wait | --dry-run] [--json]",
		"Submit a job document. FILE ending in .yaml or .yml is sent as YAML, any\n"+
			"other as JSON; FILE \"-\" reads standard input (JSON if it starts with '{',\n"+
			"else YAML). The server checks the whole document and reports every problem.\n"+
			"With --after, no task starts before those jobs FINISHED (depends_on_jobs);\n"+
			"if one ends otherwise, the job's tasks are skipped. With --start-at, no task\n"+
			"starts before TIME (2026-11-22T08:00:00Z, or +10m from now; start_at).\n"+
			"Run by a task (SHRIKE_ADDR and SHRIKE_TOKEN set), the job becomes a sub-job\n"+
			"of the task's job: killing that job kills it too.\n"+
			"--queue puts the job in QUEUE whatever the document says (`shrike queue ls`).\n"+
			"With --wait, wait for the job like `shrike job wait` (same exit codes).\n"+
			"With --dry-run, submit nothing: show for each task which nodes could run it\n"+
			"now and why the others cannot (exit 0 even if no node can run a task).",
		"shrike job submit pipeline.yaml --var input=/data/run42 --wait\n"+
			"  shrike job submit report.yaml --after 12,13 --start-at +10m")
	server := serverFlag(fs)
	vars := varsFlag{}
	fs.Var(vars, "var", "override a job variable, NAME=VALUE (repeatable)")
	queue := fs.String("queue", "", "put the job in this queue, overriding the document's queue:")
	var after listFlag
	fs.Var(&after, "after", "start only after these jobs FINISHED (ids, repeatable or comma-separated)")
	startAt := fs.String("start-at", "", "start no task before this time: RFC 3339, or +DURATION from now")
	wait := fs.Bool("wait", false, "wait until the job is over; exit 0 FINISHED, 3 FAILED, 4 KILLED")
	dryRun := fs.Bool("dry-run", false, "submit nothing; show which nodes could run each task")
	asJSON := fs.Bool("json", false, "print the answer (or, with --wait, the final job) as JSON")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if *wait && *dryRun {
		return usageErrorf("job submit: --wait and --dry-run exclude each other")
	}
	doc, err := readJobDocument(e, pos[0])
	if err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	opts := api.SubmitOptions{Vars: vars, Queue: *queue, StartAt: *startAt}
	for _, a := range after {
		id, err := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
		if err != nil || id < 1 {
			return usageErrorf("job submit: --after: %q is not a job id", a)
		}
		opts.After = append(opts.After, id)
	}
	if *dryRun {
		return dryRunJob(ctx, e, c, doc, contentTypeFor(pos[0], doc), opts, *asJSON)
	}
	resp, err := c.SubmitJobWith(ctx, doc, contentTypeFor(pos[0], doc), opts)
	if err != nil {
		return err
	}
	printWarnings(e, resp.Warnings)
	switch {
	case *wait:
		fmt.Fprintf(e.stderr, "Submitted job %d.\n", resp.ID)
		return waitForJob(ctx, e, c, resp.ID, 0, *asJSON)
	case *asJSON:
		return printJSON(e.stdout, resp)
	}
	fmt.Fprintf(e.stdout, "Submitted job %d.\n", resp.ID)
	return nil
}

// dryRunJob is `shrike job submit --dry-run`: the server's answer as a
// table of tasks, and its warnings on stderr.
func dryRunJob(ctx context.Context, e *env, c *api.Client, doc []byte, contentType string, opts api.SubmitOptions, asJSON bool) error {
	explain, err := c.DryRunJobWith(ctx, doc, contentType, opts)
	if err != nil {
		return err
	}
	printWarnings(e, explain.Warnings)
	if asJSON {
		return printJSON(e.stdout, explain)
	}
	fmt.Fprintln(e.stdout, "Dry run: nothing was submitted.")
	fmt.Fprintln(e.stdout)
	printTaskExplains(e.stdout, explain.Tasks)
	return nil
}

// readJobDocument reads FILE, or standard input for "-".
func readJobDocument(e *env, file string) ([]byte, error) {
	if file == "-" {
		data, err := io.ReadAll(e.stdin)
		if err != nil {
			return nil, fmt.Errorf("reading the job from standard input: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the job: %w", err)
	}
	return data, nil
}

// contentTypeFor picks the Content-Type of a job document by its file
// name; standard input is sniffed.
func contentTypeFor(file string, doc []byte) string {
	if file == "-" {
		if bytes.HasPrefix(bytes.TrimSpace(doc), []byte("{")) {
			return "application/json"
		}
		return "application/yaml"
	}
	switch strings.ToLower(filepath.Ext(file)) {
	case ".yaml", ".yml":
		return "application/yaml"
	}
	return "application/json"
}
