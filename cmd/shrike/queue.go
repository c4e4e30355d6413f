package main

import (
	"context"
	"strconv"
)

// queueCommand dispatches `shrike queue ...`.
func queueCommand(ctx context.Context, e *env, args []string) error {
	return runGroup(ctx, e, "shrike queue", []command{
		{"ls", "list the scheduler's queues: configuration, tasks and usage", cmdQueueLs},
		{"show", "show one queue and its users' tasks, usage and share", cmdQueueShow},
	}, args)
}

// fmtCPUs writes a CPU count without trailing zeros.
func fmtCPUs(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// fmtUsage writes fair-share usage (CPU-seconds) as CPU-hours.
func fmtUsage(cpuSeconds float64) string {
	return strconv.FormatFloat(cpuSeconds/3600, 'f', 2, 64)
}

// fmtLimit writes a quota, "-" for none.
func fmtLimit(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmtCPUs(v)
}
