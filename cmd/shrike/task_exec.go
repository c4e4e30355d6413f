package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// exitExecFailed is the exit code of `shrike task exec` when the command's
// own exit code is unknown (refused, not started, stream broken), as ssh's.
const exitExecFailed = 255

// Variables a task's environment has (node/taskspec.go).
const (
	envJobID = "SHRIKE_JOB_ID"
	envTask  = "SHRIKE_TASK"
)

const taskExecSummary = `Run a command on NODE, one of the nodes of a running task, inside the task:
in its work directory there, with its environment (SHRIKE_NODES and the
rest), killed when the task ends. As with ssh, the arguments after NODE are
joined with spaces and run by /bin/sh -c; the command's stdout and stderr
are relayed, and shrike exits with its exit code (255 if it could not be
run or the connection broke). Standard input is not forwarded.

Inside a task, --job and --task default to $SHRIKE_JOB_ID and $SHRIKE_TASK
and the task's own token is used, so a multi-node task (nodes: N) starts
processes on its other nodes with:
  for n in $(tail -n +2 "$SHRIKE_NODEFILE"); do shrike task exec "$n" worker & done
It also serves as mpirun's rsh agent:
  mpirun -np "$SHRIKE_NODE_COUNT" --map-by node --hostfile "$SHRIKE_NODEFILE" \
    --mca plm_rsh_agent "shrike task exec" ./app`

// cmdTaskExec is `shrike task exec [--job ID] [--task NAME] NODE CMD [ARGS...]`.
func cmdTaskExec(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "task exec", "[--job ID] [--task NAME] NODE COMMAND [ARGS...]", taskExecSummary,
		`shrike task exec --job 42 --task solve node-2 'hostname; nproc'`)
	server := serverFlag(fs)
	job := fs.String("job", "", "job ID (default $"+envJobID+")")
	task := fs.String("task", "", "task name (default $"+envTask+")")
	vars := varsFlag{}
	fs.Var(vars, "env", "set a variable for the command, NAME=VALUE (repeatable)")
	// Flags only before NODE: what follows is the remote command's.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &codedError{code: exitExecFailed}
	}
	pos := fs.Args()
	if len(pos) < 2 {
		return &codedError{code: exitExecFailed, err: fmt.Errorf("task exec: want NODE and a COMMAND (run 'shrike task exec -h')")}
	}
	jobRaw := firstOf(*job, e.getenv(envJobID))
	taskName := firstOf(*task, e.getenv(envTask))
	if jobRaw == "" || taskName == "" {
		return &codedError{code: exitExecFailed, err: fmt.Errorf("task exec: no job or task: give --job and --task, or run it inside a task ($%s and $%s)", envJobID, envTask)}
	}
	id, err := strconv.ParseInt(jobRaw, 10, 64)
	if err != nil || id <= 0 {
		return &codedError{code: exitExecFailed, err: fmt.Errorf("task exec: invalid job id %q: want a positive number", jobRaw)}
	}
	c, err := newClient(e, *server)
	if err != nil {
		return &codedError{code: exitExecFailed, err: err}
	}
	req := api.TaskExecRequest{
		Node:    pos[0],
		Command: []string{"/bin/sh", "-c", strings.Join(pos[1:], " ")},
		Env:     vars,
	}
	code, err := c.ExecTask(ctx, id, taskName, req, e.stdout, e.stderr)
	if err != nil {
		return &codedError{code: exitExecFailed, err: fmt.Errorf("task exec on %s: %w", pos[0], err)}
	}
	if code < 0 || code > 255 {
		code = exitExecFailed
	}
	if code != 0 {
		return &codedError{code: code} // the command said why on its stderr
	}
	return nil
}
