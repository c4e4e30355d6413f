package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// waitPoll is how often waiting commands ask for the job when the server
// has no event stream; while they follow the job's events they ask only
// on events and every waitResyncPolls polls. Tests shorten it.
var waitPoll = time.Second

// waitResyncPolls is how many polls pass between the reads of a job
// whose events are followed, in case the stream stays silent.
const waitResyncPolls = 30

// cmdJobWait is `shrike job wait`.
func cmdJobWait(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job wait", "ID [--timeout D] [--json]",
		"Wait until a job is over, with a progress bar on a terminal. Exit status:\n"+
			"0 FINISHED, 3 FAILED, 4 KILLED, 5 timed out, 1 error.",
		"shrike job wait 42 --timeout 30m")
	server := serverFlag(fs)
	timeout := fs.Duration("timeout", 0, "give up after this long (exit 5); 0 waits forever")
	asJSON := fs.Bool("json", false, "print the final job as JSON")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	id, err := parseJobID(pos[0])
	if err != nil {
		return err
	}
	if *timeout < 0 {
		return usageErrorf("job wait: --timeout must not be negative")
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	return waitForJob(ctx, e, c, id, *timeout, *asJSON)
}

// waitForJob follows job id's events (polling a server without them)
// until it is over (or timeout passes, if set), prints the outcome, and
// returns the error that carries the exit code.
func waitForJob(ctx context.Context, e *env, c *api.Client, id int64, timeout time.Duration, asJSON bool) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var progress func(api.Job)
	bar := &progressBar{w: e.stdout}
	if !asJSON && e.stdoutIsTerminal() {
		progress = bar.update
	}
	opts := api.WaitOptions{Poll: waitPoll, Resync: waitResyncPolls * waitPoll}
	job, err := c.WaitJobEvents(ctx, id, opts, noteInError(e, progress))
	bar.finish()
	if err != nil {
		if timeout > 0 && errors.Is(err, context.DeadlineExceeded) {
			state := job.State
			if state == "" {
				state = "unknown"
			}
			return &codedError{code: exitTimeout,
				err: fmt.Errorf("timed out after %s waiting for job %d (still %s)", timeout, id, state)}
		}
		return err
	}
	if asJSON {
		if err := printJSON(e.stdout, job); err != nil {
			return err
		}
		return jobExit(job)
	}
	done, total := taskProgress(job)
	fmt.Fprintf(e.stdout, "Job %d %s: %d/%d tasks over.\n", id, job.State, done, total)
	return jobExit(job)
}

// noteInError wraps a progress callback: an IN_ERROR task keeps the job
// from ending until someone restarts or kills it, so the wait says so
// (once per task) instead of looking stuck.
func noteInError(e *env, progress func(api.Job)) func(api.Job) {
	noted := map[string]bool{}
	return func(job api.Job) {
		if progress != nil {
			progress(job)
		}
		for _, t := range job.Tasks {
			if t.State != api.TaskInError {
				delete(noted, t.Name)
				continue
			}
			if !noted[t.Name] {
				noted[t.Name] = true
				fmt.Fprintf(e.stderr, "Task %s of job %d is IN_ERROR (on_task_error: suspend_task): the job waits until it is restarted "+
					"(shrike job task restart %d %s) or killed.\n", t.Name, job.ID, job.ID, t.Name)
			}
		}
	}
}
