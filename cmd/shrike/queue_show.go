package main

import (
	"context"
	"fmt"
	"strconv"
)

// cmdQueueShow is `shrike queue show NAME`.
func cmdQueueShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "queue show", "NAME [--json]",
		"Show a queue: its configuration and quotas, then each user's tasks waiting\n"+
			"and running, fair-share usage (CPU-hours, decayed) and share of the queue's\n"+
			"usage; between users at equal priority the lower share goes first. Users\n"+
			"who are not admins see only their own line.",
		"shrike queue show short")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the queue as JSON")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	q, err := c.Queue(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, q)
	}
	preemption := "no"
	if q.Preemption {
		preemption = "yes"
	}
	fmt.Fprintf(e.stdout, "queue:       %s\nweight:      %s\npolicy:      %s\npreemption:  %s\n", q.Name, fmtCPUs(q.Weight), q.Policy, preemption)
	fmt.Fprintf(e.stdout, "quotas:      max_running %s, max_cpus %s, max_running_per_user %s, max_cpus_per_user %s\n",
		fmtLimit(float64(q.MaxRunning)), fmtLimit(q.MaxCPUs), fmtLimit(float64(q.MaxRunningPerUser)), fmtLimit(q.MaxCPUsPerUser))
	fmt.Fprintf(e.stdout, "tasks:       %d pending, %d running on %s CPUs\nusage:       %s CPU-hours\n",
		q.Pending, q.Running, fmtCPUs(q.RunningCPUs), fmtUsage(q.Usage))
	if len(q.Users) == 0 {
		return nil
	}
	fmt.Fprintln(e.stdout)
	tw := newTable(e.stdout, "USER", "PENDING", "RUNNING", "CPUS", "USAGE (CPU-H)", "SHARE")
	for _, u := range q.Users {
		row(tw, u.Name, u.Pending, u.Running, fmtCPUs(u.RunningCPUs), fmtUsage(u.Usage), strconv.FormatFloat(100*u.Share, 'f', 1, 64)+"%")
	}
	return tw.Flush()
}
