package main

import "context"

// jobCommand dispatches `shrike job ...`.
func jobCommand(ctx context.Context, e *env, args []string) error {
	return runGroup(ctx, e, "shrike job", []command{
		{"submit", "submit a job document (YAML or JSON)", cmdJobSubmit},
		{"ls", "list jobs", cmdJobLs},
		{"show", "show a job and its tasks", cmdJobShow},
		{"explain", "explain why a job's tasks wait for a node", cmdJobExplain},
		{"logs", "print or follow a task's output", cmdJobLogs},
		{"output", "download a job's output files", cmdJobOutput},
		{"kill", "kill a job", cmdJobKill},
		{"wait", "wait until a job is over", cmdJobWait},
	}, args)
}
