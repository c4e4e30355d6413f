package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// cmdJobLs is `shrike job ls`.
func cmdJobLs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job ls", "[--state S]... [--owner U] [--parent ID] [--limit N] [--offset N] [--json]",
		"List jobs, newest first. Users see their own jobs; admins see all and may\n"+
			"filter by owner. --parent lists the sub-jobs a job's tasks submitted.\n"+
			"Run by a task with its job-scoped token, it lists that job and the jobs\n"+
			"below it only.",
		"shrike job ls --state RUNNING,PENDING --limit 50")
	server := serverFlag(fs)
	var states listFlag
	fs.Var(&states, "state", "only jobs in this state: PENDING, RUNNING, FINISHED, FAILED, KILLED (repeatable, or comma-separated)")
	owner := fs.String("owner", "", "only jobs of this user (admins)")
	parent := fs.Int64("parent", 0, "only the sub-jobs of this job")
	limit := fs.Int("limit", 0, "at most this many jobs (default: the server's page size)")
	offset := fs.Int("offset", 0, "skip this many jobs")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	opts := api.ListJobsOptions{Owner: *owner, Parent: *parent, Limit: *limit, Offset: *offset}
	if *limit < 0 || *offset < 0 || *parent < 0 {
		return usageErrorf("job ls: --limit, --offset and --parent must not be negative")
	}
	for _, s := range states {
		st := api.JobState(strings.ToUpper(s))
		if !validJobState(st) {
			return usageErrorf("job ls: unknown state %q: want PENDING, RUNNING, FINISHED, FAILED or KILLED", s)
		}
		opts.States = append(opts.States, st)
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	list, err := c.ListJobs(ctx, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, list)
	}
	printJobTable(e, list)
	return nil
}

// validJobState reports whether st is a job state.
func validJobState(st api.JobState) bool {
	switch st {
	case api.JobPending, api.JobRunning, api.JobPaused, api.JobFinished, api.JobFailed, api.JobKilled:
		return true
	}
	return false
}

// printJobTable writes a page of jobs, with a note when there are more.
func printJobTable(e *env, list api.JobList) {
	tw := newTable(e.stdout, "ID", "NAME", "OWNER", "STATE", "PRIORITY", "TASKS", "SUBMITTED")
	for _, j := range list.Jobs {
		done, total := taskProgress(j)
		row(tw, j.ID, j.Name, j.Owner, j.State, j.Priority, fmt.Sprintf("%d/%d", done, total), fmtTime(&j.SubmittedAt))
	}
	_ = tw.Flush()
	if shown := list.Offset + len(list.Jobs); len(list.Jobs) > 0 && shown < list.Total {
		fmt.Fprintf(e.stderr, "Jobs %d-%d of %d; see more with --offset %d.\n",
			list.Offset+1, shown, list.Total, shown)
	}
}
