package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// cmdJobPriority is `shrike job priority`.
func cmdJobPriority(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job priority", "ID LEVEL [--json]",
		"Change the priority of a pending or running job: "+strings.Join(api.PriorityNames(), ", ")+".\n"+
			"Its tasks that have not started are queued at the new level at once. Users\n"+
			"may go up to normal (or what the server's priority_max_by_group gives their\n"+
			"groups); admins may set any level on any job.",
		"shrike job priority 42 high")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the job as JSON")
	pos, err := parseArgs(fs, args, 2)
	if err != nil {
		return err
	}
	id, err := parseJobID(pos[0])
	if err != nil {
		return err
	}
	pr, err := api.ParsePriority(pos[1])
	if err != nil {
		return usageErrorf("%v", err)
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	job, err := c.SetJobPriority(ctx, id, pr)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, job)
	}
	fmt.Fprintf(e.stdout, "Job %d (%s) now has priority %s.\n", job.ID, job.State, job.Priority)
	return nil
}
