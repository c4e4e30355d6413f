package main

import (
	"context"

	"github.com/shrike-grid/shrike/api"
)

// jobCommand dispatches `shrike job ...`.
func jobCommand(ctx context.Context, e *env, args []string) error {
	return runGroup(ctx, e, "shrike job", []command{
		{"submit", "submit a job document (YAML or JSON)", cmdJobSubmit},
		{"ls", "list jobs", cmdJobLs},
		{"show", "show a job and its tasks", cmdJobShow},
		{"explain", "explain why a job's tasks wait for a node", cmdJobExplain},
		{"logs", "print or follow a task's output", cmdJobLogs},
		{"result", "print the results of a job's tasks", cmdJobResult},
		{"server-logs", "print the scheduler's account of a job", cmdJobServerLogs},
		{"output", "download a job's output files", cmdJobOutput},
		{"kill", "kill a job", cmdJobKill},
		{"priority", "change a job's priority", cmdJobPriority},
		{"wait", "wait until a job is over", cmdJobWait},
		{"pause", "pause a job: none of its tasks starts until it is resumed", jobControlCmd("pause",
			"Pause a job: none of its tasks starts until it is resumed; running ones go on.", (*api.Client).PauseJob)},
		{"resume", "resume a paused job", jobControlCmd("resume", "Resume a paused job.", (*api.Client).ResumeJob)},
		{"restart", "restart a job's failed (and IN_ERROR) tasks", jobControlCmd("restart",
			"Restart a job's FAILED and IN_ERROR tasks (and those skipped because of them)\nwith fresh attempt budgets.", (*api.Client).RestartFailed)},
		{"task", "kill, restart, preempt or finish one task", cmdJobTask},
	}, args)
}
