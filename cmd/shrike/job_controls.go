package main

import (
	"context"
	"fmt"

	"github.com/shrike-grid/shrike/api"
)

// jobControlCmd makes `shrike job pause|resume|restart ID`.
func jobControlCmd(name, summary string, do func(*api.Client, context.Context, int64) (api.Job, error)) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(e, "job "+name, "ID", summary, "shrike job "+name+" 42")
		server := serverFlag(fs)
		id, c, err := jobTarget(e, fs, server, args)
		if err != nil {
			return err
		}
		job, err := do(c, ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Job %d is %s.\n", job.ID, job.State)
		return nil
	}
}

// cmdJobTask is `shrike job task ACTION ID TASK`.
func cmdJobTask(ctx context.Context, e *env, args []string) error {
	var cmds []command
	for _, a := range []struct {
		action  api.TaskAction
		summary string
	}{
		{api.TaskKill, "kill a task: pending or IN_ERROR at once, running on its node; its dependents are skipped"},
		{api.TaskRestart, "put a FAILED, KILLED or IN_ERROR task back to PENDING with a fresh attempt budget"},
		{api.TaskPreempt, "stop a RUNNING task and queue it again without counting the attempt"},
		{api.TaskFinish, "mark a PENDING, FAILED, KILLED or IN_ERROR task FINISHED so that its dependents run"},
	} {
		cmds = append(cmds, command{string(a.action), a.summary, taskControlCmd(a.action, a.summary)})
	}
	return runGroup(ctx, e, "shrike job task", cmds, args)
}

// taskControlCmd makes `shrike job task ACTION ID TASK [--reason TEXT]`.
func taskControlCmd(action api.TaskAction, summary string) func(context.Context, *env, []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		fs := newFlags(e, "job task "+string(action), "ID TASK", summary, "shrike job task "+string(action)+" 42 build")
		server := serverFlag(fs)
		reason := fs.String("reason", "", "why (recorded in the task's events)")
		pos, err := parseArgs(fs, args, 2)
		if err != nil {
			return err
		}
		id, err := parseJobID(pos[0])
		if err != nil {
			return err
		}
		c, err := newClient(e, *server)
		if err != nil {
			return err
		}
		job, err := c.ControlTask(ctx, id, pos[1], action, *reason)
		if err != nil {
			return err
		}
		for _, t := range job.Tasks {
			if t.Name == pos[1] {
				fmt.Fprintf(e.stdout, "Task %s is %s; job %d is %s.\n", t.Name, t.State, job.ID, job.State)
			}
		}
		return nil
	}
}
