package main

import (
	"context"
	"fmt"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// cmdJobServerLogs is `shrike job server-logs`.
func cmdJobServerLogs(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job server-logs", "ID [--json]",
		"Print the scheduler's own account of a job: its submission, why its tasks\n"+
			"waited, where each attempt was placed, lost nodes, retries and their delays,\n"+
			"error-policy actions, pauses, kills and priority changes with who made them,\n"+
			"preemptions, and the end. One line each: time, task#attempt, message.",
		"shrike job server-logs 42")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the lines as JSON")
	id, c, err := jobTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	var all []api.ServerLogLine
	for after := int64(0); ; {
		lines, err := c.ServerLogs(ctx, id, after)
		if err != nil {
			return err
		}
		if len(lines) == 0 {
			break
		}
		all = append(all, lines...)
		after = lines[len(lines)-1].Seq
	}
	if *asJSON {
		if all == nil {
			all = []api.ServerLogLine{}
		}
		return printJSON(e.stdout, all)
	}
	_, err = fmt.Fprint(e.stdout, api.FormatServerLog(all, time.Local))
	return err
}
