package main

import (
	"context"

	"github.com/shrike-grid/shrike/api"
)

// cmdQueueLs is `shrike queue ls`.
func cmdQueueLs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "queue ls", "[--json]",
		"List the scheduler's queues (the server's queues: configuration): weight,\n"+
			"policy, tasks waiting and running, CPUs running, and fair-share usage in\n"+
			"CPU-hours (decayed with fair_share_half_life). Submit to a queue with\n"+
			"queue: in the job file or `shrike job submit --queue NAME`.",
		"shrike queue ls")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the queues as JSON")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	qs, err := c.Queues(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if qs == nil {
			qs = []api.Queue{}
		}
		return printJSON(e.stdout, qs)
	}
	tw := newTable(e.stdout, "NAME", "WEIGHT", "POLICY", "PENDING", "RUNNING", "CPUS", "MAX RUNNING", "MAX CPUS", "USAGE (CPU-H)")
	for _, q := range qs {
		policy := q.Policy
		if q.Preemption {
			policy += "+preemption"
		}
		row(tw, q.Name, fmtCPUs(q.Weight), policy, q.Pending, q.Running, fmtCPUs(q.RunningCPUs),
			fmtLimit(float64(q.MaxRunning)), fmtLimit(q.MaxCPUs), fmtUsage(q.Usage))
	}
	return tw.Flush()
}
