package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/shrike-grid/shrike/api"
)

// Exit codes of every shrike command. docs/cli.md lists them; keep both in
// step.
const (
	exitOK        = 0 // success; for wait and submit --wait: the job FINISHED
	exitErr       = 1 // an error: network, server, invalid job
	exitUsage     = 2 // bad flags or arguments
	exitJobFailed = 3 // the job waited for FAILED
	exitJobKilled = 4 // the job waited for was KILLED
	exitTimeout   = 5 // gave up waiting (--timeout)
)

// codedError is an error with its exit code. A nil err exits quietly (the
// command already said what happened).
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *codedError) Unwrap() error { return e.err }

// usageErrorf is a usage error (exit 2).
func usageErrorf(format string, args ...any) error {
	return &codedError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// jobExit is the outcome of waiting for a job that ended.
func jobExit(job api.Job) error {
	switch job.State {
	case api.JobFailed:
		return &codedError{code: exitJobFailed}
	case api.JobKilled:
		return &codedError{code: exitJobKilled}
	}
	return nil
}

// exitCode maps a command's error to the process exit code.
func exitCode(err error) int {
	var ee *codedError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	}
	return exitErr
}

// report prints err as "shrike: message" on stderr (unless it is quiet or
// help) and returns the exit code.
func report(e *env, err error) int {
	code := exitCode(err)
	var ee *codedError
	quiet := errors.As(err, &ee) && ee.err == nil
	if err != nil && code != exitOK && !quiet {
		fmt.Fprintf(e.stderr, "shrike: %v\n", err)
	}
	return code
}
