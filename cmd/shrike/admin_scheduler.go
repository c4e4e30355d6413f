package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// schedulerVerbs maps each verb of `shrike admin scheduler VERB` to the
// update it sends.
var schedulerVerbs = map[string]api.SchedulerUpdate{
	"start":  {State: api.SchedulerStarted},
	"resume": {State: api.SchedulerStarted},
	"stop":   {State: api.SchedulerStopped},
	"pause":  {State: api.SchedulerPaused},
	"freeze": {State: api.SchedulerFrozen},
	"kill":   {Action: api.SchedulerActionKill},
}

// cmdAdminScheduler is `shrike admin scheduler [VERB]`: with no verb it
// shows the scheduler's state; `stats` counts jobs, tasks and nodes.
func cmdAdminScheduler(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "stats" {
		return cmdAdminSchedulerStats(ctx, e, args[1:])
	}
	fs := newFlags(e, "admin scheduler", "[start|stop|pause|freeze|resume|kill|stats] [--json]",
		"Show the scheduler's state or change it (admins only). stop refuses new jobs and lets the others finish;\n"+
			"pause starts no new jobs (running ones go on); freeze starts no task at all; start and resume go back\n"+
			"to normal; kill kills every job that is not over and stops the scheduler. The state survives restarts.",
		"shrike admin scheduler pause")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the state as JSON")
	pos, err := parseArgs(fs, args, -1)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErrorf("admin scheduler: at most one command, got %d", len(pos))
	}
	var u api.SchedulerUpdate
	if len(pos) == 1 {
		var ok bool
		if u, ok = schedulerVerbs[pos[0]]; !ok {
			verbs := make([]string, 0, len(schedulerVerbs))
			for v := range schedulerVerbs {
				verbs = append(verbs, v)
			}
			slices.Sort(verbs)
			return usageErrorf("admin scheduler: unknown command %q; one of %s, stats", pos[0], strings.Join(verbs, ", "))
		}
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	var st api.SchedulerStatus
	if len(pos) == 1 {
		st, err = c.SetScheduler(ctx, u)
	} else {
		st, err = c.Scheduler(ctx)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, st)
	}
	line := "scheduler: " + string(st.State)
	if st.By != "" {
		line += fmt.Sprintf(" (since %s, by %s)", fmtTime(&st.Since), st.By)
	}
	fmt.Fprintln(e.stdout, line)
	if u.Action == api.SchedulerActionKill {
		fmt.Fprintf(e.stdout, "killed %d jobs\n", len(st.Killed))
	}
	return nil
}

// cmdAdminSchedulerStats is `shrike admin scheduler stats`.
func cmdAdminSchedulerStats(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "admin scheduler stats", "[--user NAME] [--json]",
		"Count jobs by state, pending and running tasks and free and busy nodes; with --user, also that user's.",
		"shrike admin scheduler stats --user alice")
	server := serverFlag(fs)
	user := fs.String("user", "", "also count this user's jobs and tasks")
	asJSON := fs.Bool("json", false, "print the stats as JSON")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	st, err := c.SchedulerStats(ctx, *user)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, st)
	}
	fmt.Fprintf(e.stdout, "scheduler: %s\n", st.State)
	tw := newTable(e.stdout, "WHO", "PENDING JOBS", "RUNNING JOBS", "PENDING TASKS", "RUNNING TASKS")
	row(tw, "all", st.Jobs[api.JobPending], st.Jobs[api.JobRunning], st.TasksPending, st.TasksRunning)
	if u := st.User; u != nil {
		row(tw, u.Name, u.Jobs[api.JobPending], u.Jobs[api.JobRunning], u.TasksPending, u.TasksRunning)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if u := st.User; u != nil && len(u.Usage) > 0 {
		var parts []string
		for _, q := range slices.Sorted(maps.Keys(u.Usage)) {
			parts = append(parts, q+" "+fmtUsage(u.Usage[q]))
		}
		fmt.Fprintf(e.stdout, "fair-share usage of %s (CPU-hours): %s\n", u.Name, strings.Join(parts, ", "))
	}
	_, err = fmt.Fprintf(e.stdout, "nodes: %d free, %d busy\n", st.NodesFree, st.NodesBusy)
	return err
}
