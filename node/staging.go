package node

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
)

// stagingError is a failed input staging: the attempt ends with
// OutcomeError and this message, without running the task.
type stagingError struct{ msg string }

func (e *stagingError) Error() string { return e.msg }

// mover moves files between a space and a directory of the node: over
// HTTP (dataspace.Client) or, for a space the node sees at a local path,
// by copying (localSpaces).
type mover interface {
	Pull(ctx context.Context, space string, sel dataspace.Selector, destDir string, optional bool) (int, error)
	Push(ctx context.Context, srcDir, space string, sel dataspace.Selector) (int, error)
}

var (
	_ mover = (*dataspace.Client)(nil)
	_ mover = (*localSpaces)(nil)
)

// stageLog writes staging progress into an attempt's task log, one
// "shrike: ..." line per message, where users read it (`shrike job
// logs`). It is safe for concurrent use, so lines stay whole whoever
// reports.
type stageLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *stageLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "shrike: "+format+"\n", args...)
}

// movers returns the mover of each space of st: local copies for the
// spaces in st.Local, HTTP for the others.
func movers(st *api.Staging, log *stageLog) func(space string) mover {
	progress := func(msg string) { log.printf("%s", msg) }
	client := &dataspace.Client{ServerURL: st.ServerURL, Token: st.Token, Progress: progress}
	local := &localSpaces{roots: st.Local, progress: progress}
	return func(space string) mover {
		if _, ok := st.Local[space]; ok {
			return local
		}
		return client
	}
}

// stageIn pulls every declared input into the attempt's scratch
// directory, in order, logging each file. A required input that matches
// nothing, a failed transfer or a stop (at.ctx cancelled) ends it with a
// *stagingError naming the input ("input_files[0]: ...").
func (a *Agent) stageIn(at *attempt, logFile io.Writer) error {
	st := at.spec.Staging
	log := &stageLog{w: logFile}
	pick := movers(st, log)
	for i, in := range st.Inputs {
		space := cmp.Or(in.From, api.SpaceInput)
		sel := dataspace.Selector{Include: in.Include, Exclude: in.Exclude}
		// Pulled as optional: a required input that matches nothing gets
		// the same message whichever way it moves.
		n, err := pick(space).Pull(at.ctx, space, sel, at.dir, true)
		if err == nil && n == 0 && !in.Optional {
			err = noMatch(space, sel)
		}
		if err != nil {
			e := &stagingError{msg: fmt.Sprintf("input_files[%d]: %v", i, err)}
			if at.ctx.Err() != nil {
				log.printf("input staging stopped: %s", e.msg)
			} else {
				log.printf("input staging failed: %s", e.msg)
				a.log.Info("input staging failed", "task_id", at.ref.TaskID, "attempt", at.ref.Attempt, "err", e.msg)
			}
			return e
		}
		log.printf("input_files[%d]: %d %s from %s", i, n, plural(n, "file"), space)
		at.transfers = append(at.transfers, fmt.Sprintf("input_files[%d]: %d %s from %s", i, n, plural(n, "file"), space))
	}
	return nil
}

// stageOut pushes every declared output from the attempt's scratch
// directory, even after one failed. Failures are logged and recorded in
// res.Error; they turn a success into OutcomeError, and a stop asked for
// during the push (which aborts it) turns a success into that outcome.
// The exit code stays the task's.
func (a *Agent) stageOut(at *attempt, res *api.TaskResult) {
	st := at.spec.Staging
	var w io.Writer = io.Discard
	if f, err := os.OpenFile(at.logPath, os.O_WRONLY|os.O_APPEND, 0); err == nil {
		defer f.Close()
		w = f
	}
	log := &stageLog{w: w}
	pick := movers(st, log)
	var problems []string
	for i, out := range st.Outputs {
		space := cmp.Or(out.To, api.SpaceOutput)
		sel := dataspace.Selector{Include: out.Include, Exclude: out.Exclude}
		n, err := pick(space).Push(at.ctx, at.dir, space, sel)
		if err != nil {
			p := fmt.Sprintf("output_files[%d]: %v", i, err)
			log.printf("output staging failed: %s", p)
			a.log.Info("output staging failed", "task_id", at.ref.TaskID, "attempt", at.ref.Attempt, "err", p)
			problems = append(problems, p)
			continue
		}
		log.printf("output_files[%d]: %d %s to %s", i, n, plural(n, "file"), space)
		at.transfers = append(at.transfers, fmt.Sprintf("output_files[%d]: %d %s to %s", i, n, plural(n, "file"), space))
	}
	res.Transfers = strings.Join(at.transfers, "; ")
	succeeded := res.Outcome == api.OutcomeSucceeded
	if reason := at.stopRequested(); succeeded && reason != "" {
		res.Outcome = reason
		succeeded = false
	}
	if len(problems) == 0 {
		return
	}
	if succeeded {
		res.Outcome = api.OutcomeError
	}
	res.Error = strings.Join(append(nonEmpty(res.Error), problems...), "; ")
}

// checkStaging returns what is wrong with st: unknown spaces (inputs come
// from input, output, user or global; outputs go to output, user or
// global), no server URL or token while a space is moved over HTTP, a
// local path that is not absolute.
func checkStaging(st *api.Staging) []string {
	var problems []string
	overHTTP := false
	check := func(field, space string, allowed ...string) {
		if !slices.Contains(allowed, space) {
			problems = append(problems, fmt.Sprintf("staging: %s: unknown space %q (want one of %s)", field, space, strings.Join(allowed, ", ")))
		}
		if _, ok := st.Local[space]; !ok {
			overHTTP = true
		}
	}
	for i, in := range st.Inputs {
		check(fmt.Sprintf("inputs[%d].from", i), cmp.Or(in.From, api.SpaceInput), api.SpaceInput, api.SpaceOutput, api.SpaceUser, api.SpaceGlobal)
	}
	for i, out := range st.Outputs {
		check(fmt.Sprintf("outputs[%d].to", i), cmp.Or(out.To, api.SpaceOutput), api.SpaceOutput, api.SpaceUser, api.SpaceGlobal)
	}
	if overHTTP && (st.ServerURL == "" || st.Token == "") {
		problems = append(problems, "staging: server_url and token are required to move files over HTTP")
	}
	for _, space := range slices.Sorted(maps.Keys(st.Local)) {
		if !filepath.IsAbs(st.Local[space]) {
			problems = append(problems, fmt.Sprintf("staging: local[%s]: want an absolute path, got %q", space, st.Local[space]))
		}
	}
	return problems
}

// noMatch is the error of a required input that matched nothing.
func noMatch(space string, sel dataspace.Selector) error {
	var b strings.Builder
	fmt.Fprintf(&b, "no file in %s", space)
	if len(sel.Include) > 0 {
		fmt.Fprintf(&b, " matches include %v", sel.Include)
	}
	if len(sel.Exclude) > 0 {
		fmt.Fprintf(&b, " (exclude %v)", sel.Exclude)
	}
	return errors.New(b.String())
}

// keptOnFailure reports whether the scratch directory of an attempt that
// did not succeed stays because its staging asks for it
// (KeepScratchOnFailure).
func keptOnFailure(at *attempt, res api.TaskResult) bool {
	st := at.spec.Staging
	return st != nil && st.KeepScratchOnFailure && res.Outcome != api.OutcomeSucceeded
}

// appendLog appends a line to a task log, ignoring failures (the log is
// where they would be reported).
func appendLog(path, format string, args ...any) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return
	}
	fmt.Fprintf(f, format, args...)
	_ = f.Close()
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
