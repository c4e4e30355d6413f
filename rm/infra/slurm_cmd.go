package infra

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// slurmCommandTimeout bounds one Slurm command: sbatch and squeue retry
// for a long while when slurmctld does not answer.
const slurmCommandTimeout = time.Minute

// slurmCommands runs the Slurm client commands.
type slurmCommands struct {
	bin  string // directory of the commands; "": PATH
	conf string // SLURM_CONF; "": Slurm's default
}

// slurmError is a Slurm command that failed, with what it printed on
// stderr.
type slurmError struct {
	cmd    string
	err    error
	stderr string
}

func (e *slurmError) Error() string {
	msg := fmt.Sprintf("%s: %v", e.cmd, e.err)
	if tail := tailLines(e.stderr, 5); tail != "" {
		msg += ": " + tail
	}
	return msg
}

func (e *slurmError) Unwrap() error { return e.err }

// isUnknownJob reports whether err is Slurm's answer for a job ID it does
// not know (any more).
func isUnknownJob(err error) bool {
	var e *slurmError
	return errors.As(err, &e) && strings.Contains(e.stderr, "Invalid job id")
}

func (c slurmCommands) path(name string) string {
	if c.bin != "" {
		return filepath.Join(c.bin, name)
	}
	return name
}

// run runs a Slurm command and returns its stdout.
func (c slurmCommands) run(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, slurmCommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path(name), args...)
	if c.conf != "" {
		cmd.Env = append(cmd.Environ(), "SLURM_CONF="+c.conf)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return stdout.String(), &slurmError{cmd: name, err: err, stderr: stderr.String()}
	}
	return stdout.String(), nil
}

// jobStates asks squeue for the states of jobs, by ID. Jobs squeue does
// not list are missing from the map.
func (c slurmCommands) jobStates(ctx context.Context, ids []string) (map[string]string, error) {
	out, err := c.run(ctx, "squeue", "--noheader", "--states=all", "--format=%i %T", "--jobs="+strings.Join(ids, ","))
	if err != nil {
		// Asked for one job only, squeue fails when it does not know it;
		// asked for several, it leaves the unknown ones out.
		if len(ids) == 1 && isUnknownJob(err) {
			return map[string]string{}, nil
		}
		return nil, err
	}
	return parseJobStates(out, " "), nil
}

// finalStates asks sacct how jobs squeue forgot ended, where sacct is
// there and accounting is on; otherwise the map is empty.
func (c slurmCommands) finalStates(ctx context.Context, ids []string, log *slog.Logger) map[string]string {
	if len(ids) == 0 {
		return nil
	}
	if _, err := exec.LookPath(c.path("sacct")); err != nil {
		return nil
	}
	out, err := c.run(ctx, "sacct", "--noheader", "--allocations", "--parsable2", "--format=JobID,State", "--jobs="+strings.Join(ids, ","))
	if err != nil {
		log.Debug("slurm: sacct cannot tell how jobs ended", "jobs", ids, "err", err)
		return nil
	}
	return parseJobStates(out, "|")
}

// parseJobStates reads lines of "ID<sep>STATE"; a state may carry words
// after it ("CANCELLED by 0"), which are dropped.
func parseJobStates(out, sep string) map[string]string {
	states := map[string]string{}
	for line := range strings.Lines(out) {
		id, state, ok := strings.Cut(strings.TrimSpace(line), sep)
		if !ok || id == "" {
			continue
		}
		if f := strings.Fields(state); len(f) > 0 {
			states[id] = f[0]
		}
	}
	return states
}
