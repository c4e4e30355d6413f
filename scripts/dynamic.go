package scripts

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
)

// Dynamic selection scripts run on the node itself, each time the node is
// considered, and may ask the host about itself through the `host` table
// (host.go): files, commands, environment variables, free memory and
// disk, load and, where the node allows it, the output of a command. A
// static evaluation (Evaluate, Select) has no `host`.

// Probes is what a dynamic selection script may ask the host it runs on.
// Every method that takes a context must return soon after the context
// ends: the context ends with the script's time budget.
//
// Errors are raised in the script (a false verdict with the message),
// except that a context that ended is reported as the budget the script
// ran out of. "Does not exist" is an answer (false), not an error.
type Probes interface {
	// FileExists reports whether path exists and is not a directory
	// (symbolic links followed).
	FileExists(ctx context.Context, path string) (bool, error)
	// DirExists reports whether path is a directory.
	DirExists(ctx context.Context, path string) (bool, error)
	// CommandExists reports whether name is an executable found in PATH
	// (or, if it holds a slash, at that path).
	CommandExists(ctx context.Context, name string) (bool, error)
	// Env returns the environment variable name, if set.
	Env(name string) (string, bool)
	// MemFree is the memory available for new work, in bytes.
	MemFree(ctx context.Context) (int64, error)
	// DiskFree is the space available to unprivileged users in the file
	// system holding path ("" means the node's work directory), in bytes.
	DiskFree(ctx context.Context, path string) (int64, error)
	// Load1 is the one-minute load average.
	Load1(ctx context.Context) (float64, error)
	// Run runs argv without a shell and returns its exit status and
	// output, stopping it (and whatever it started) when ctx ends or
	// after timeout (zero: no timeout of its own). It fails with
	// ErrCommandsNotAllowed where the node does not allow commands, and
	// with an error wrapping ErrCommandTimeout after timeout.
	Run(ctx context.Context, argv []string, timeout time.Duration) (RunResult, error)
}

// RunResult is what a command run by host.run did.
type RunResult struct {
	// ExitCode is the command's exit status; 128+N if signal N killed it.
	ExitCode int
	// Stdout and Stderr are the command's output, each cut to
	// MaxRunOutput bytes (the rest is read and dropped).
	Stdout, Stderr string
}

// MaxRunOutput is the most bytes of stdout, and of stderr, that host.run
// returns.
const MaxRunOutput = 64 << 10

var (
	// ErrCommandsNotAllowed is Probes.Run on a node that does not let
	// selection scripts run commands.
	ErrCommandsNotAllowed = errors.New("running commands is not allowed on this node (start the agent with --allow-probe-commands)")
	// ErrCommandTimeout is a command run by host.run that outlived its own
	// timeout.
	ErrCommandTimeout = errors.New("command timed out")
)

// probeSteps is what one probe call costs, in instructions: a script
// cannot call probes without end for free.
const probeSteps = 1000

// Dynamic is what a dynamic evaluation adds to a static one.
type Dynamic struct {
	// Probes answers the script's `host` calls. Required.
	Probes Probes
	// Timeout is this evaluation's wall-clock budget. Zero, or more than
	// the engine's Options.Timeout, means the engine's: give a dynamic
	// engine a Timeout as long as the longest script may take.
	Timeout time.Duration
}

// EvaluateDynamic is Evaluate for a dynamic script: the script also sees
// the read-only `host` table, whose functions ask d.Probes. The budgets
// are the engine's, but for the time budget, which is d.Timeout. A probe
// call costs a fixed number of instructions, and every probe, a running
// command included, is stopped when the time budget runs out or ctx ends.
// Dynamic verdicts depend on the host at the time: they are not meant to
// be cached.
func (e *Engine) EvaluateDynamic(ctx context.Context, s *Script, node NodeView, vars map[string]string, args []string, d Dynamic) Verdict {
	if d.Probes == nil {
		return Verdict{Reason: ReasonInternal, Err: "dynamic evaluation without host probes"}
	}
	return e.evaluate(ctx, s, &node, vars, args, &d)
}

// hostUse finds a use of the global `host` in a script's source, and
// hostLocal a local of that name.
var (
	hostUse   = regexp.MustCompile(`(^|[^\w.:])host\s*[.:\[(]`)
	hostLocal = regexp.MustCompile(`\blocal\s+host\b`)
)

const staticHostHint = " (host is only available in dynamic selection scripts)"

// withHostHint explains a static script's error that likely comes from
// using `host`, which is nil there: an error about a nil value in a
// script that uses a global host.
func withHostHint(v Verdict, src string) Verdict {
	if v.Reason == ReasonError && strings.Contains(v.Err, "nil") && hostUse.MatchString(src) && !hostLocal.MatchString(src) {
		v.Err = truncate(v.Err, maxErrLen-len(staticHostHint)) + staticHostHint
	}
	return v
}
