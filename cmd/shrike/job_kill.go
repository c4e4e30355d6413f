package main

import (
	"context"
	"fmt"
)

// cmdJobKill is `shrike job kill`.
func cmdJobKill(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job kill", "ID",
		"Kill a job: pending tasks are killed at once, running ones are stopped on\n"+
			"their nodes. The sub-jobs its tasks submitted are killed with it, to any\n"+
			"depth (also when the job itself is already over).",
		"shrike job kill 42")
	server := serverFlag(fs)
	id, c, err := jobTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	job, err := c.KillJob(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Job %d is %s.\n", job.ID, job.State)
	return nil
}
