package main

import (
	"context"
	"errors"

	"github.com/shrike-grid/shrike/api"
)

// cmdJobLogs is `shrike job logs`.
func cmdJobLogs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job logs", "ID TASK [-f] [--attempt N]",
		"Print a task's output (stdout and stderr). With -f, keep printing until the\n"+
			"attempt is over: it reads again on each event of the job (a task started,\n"+
			"ended, was killed...) and at least every half second.",
		"shrike job logs 42 build -f")
	server := serverFlag(fs)
	var follow bool
	fs.BoolVar(&follow, "f", false, "follow the output until the attempt is over")
	fs.BoolVar(&follow, "follow", false, "same as -f")
	attempt := fs.Int("attempt", 0, "which attempt (default the latest)")
	pos, err := parseArgs(fs, args, 2)
	if err != nil {
		return err
	}
	id, err := parseJobID(pos[0])
	if err != nil {
		return err
	}
	if *attempt < 0 {
		return usageErrorf("job logs: --attempt must not be negative")
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	err = c.TaskLog(ctx, id, pos[1], api.LogOptions{Follow: follow, Attempt: *attempt}, e.stdout)
	if errors.Is(err, context.Canceled) {
		return nil // Ctrl-C ends a follow
	}
	return err
}
