package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/shrike-grid/shrike/api"
)

// cmdJobShow is `shrike job show`.
func cmdJobShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job show", "ID [--json]",
		"Show a job and the state, attempt, node and exit code of each task.",
		"shrike job show 42")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the job as JSON")
	id, c, err := jobTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	job, err := c.GetJob(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, job)
	}
	printJob(e, job)
	return nil
}

// printJob writes a job's header and task table.
func printJob(e *env, job api.Job) {
	done, total := taskProgress(job)
	head := newTable(e.stdout, "ID:", strconv.FormatInt(job.ID, 10))
	row(head, "Name:", job.Name)
	row(head, "State:", job.State)
	row(head, "Owner:", job.Owner)
	row(head, "Priority:", job.Priority)
	if job.Queue != "" {
		row(head, "Queue:", job.Queue)
	}
	row(head, "Tasks:", fmt.Sprintf("%d/%d over", done, total))
	row(head, "Submitted:", fmtTime(&job.SubmittedAt))
	row(head, "Finished:", fmtTime(job.FinishedAt))
	row(head, "Variables:", fmtVars(job.Variables))
	_ = head.Flush()
	fmt.Fprintln(e.stdout)
	tw := newTable(e.stdout, "TASK", "STATE", "ATTEMPT", "NODE", "EXIT", "STARTED", "FINISHED", "ERROR")
	for _, t := range job.Tasks {
		exit := "-"
		if t.ExitCode != nil {
			exit = strconv.Itoa(*t.ExitCode)
		}
		row(tw, t.Name, t.State, t.Attempt, orDash(t.Node), exit, fmtTime(t.StartedAt), fmtTime(t.FinishedAt), orDash(t.Error))
	}
	_ = tw.Flush()
	printWaiting(e, job)
}

// printWaiting explains, for each task waiting for a node, why none took it.
func printWaiting(e *env, job api.Job) {
	for _, t := range job.Tasks {
		if len(t.WaitingReasons) == 0 {
			continue
		}
		fmt.Fprintf(e.stdout, "\nWhy task %s is waiting:\n", t.Name)
		for _, r := range t.WaitingReasons {
			noun := "nodes"
			if r.Count == 1 {
				noun = "node"
			}
			fmt.Fprintf(e.stdout, "  %d %s: %s\n", r.Count, noun, r.Message)
		}
	}
}
