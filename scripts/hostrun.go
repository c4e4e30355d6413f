package scripts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// outputGrace is how long Run waits, once the command's process group is
// gone, for the rest of its output: a process that left the group may
// still hold the pipes.
const outputGrace = 200 * time.Millisecond

// Run implements Probes. argv runs in a process group of its own, in
// WorkDir, with Environ and stdin from /dev/null. When ctx ends or the
// timeout passes, the whole group is killed (SIGKILL); so is whatever the
// command left running in its group when it exits: a probe starts no
// daemons.
func (h HostProbes) Run(ctx context.Context, argv []string, timeout time.Duration) (RunResult, error) {
	if !h.AllowCommands {
		return RunResult{}, ErrCommandsNotAllowed
	}
	if len(argv) == 0 || argv[0] == "" {
		return RunResult{}, errors.New("empty command")
	}
	if err := ctx.Err(); err != nil {
		return RunResult{}, err
	}
	runCtx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = h.WorkDir
	cmd.Env = h.Environ
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	outR, outW, err := os.Pipe()
	if err != nil {
		return RunResult{}, err
	}
	defer outR.Close()
	errR, errW, err := os.Pipe()
	if err != nil {
		outW.Close()
		return RunResult{}, err
	}
	defer errR.Close()
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		return RunResult{}, err
	}
	pgid := cmd.Process.Pid
	stdout, stderr := drain(outR), drain(errR)

	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var waitErr error
	select {
	case waitErr = <-waited:
	case <-runCtx.Done():
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		waitErr = <-waited
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)

	grace, stopGrace := context.WithTimeout(context.Background(), outputGrace)
	defer stopGrace()
	res := RunResult{
		ExitCode: exitCode(cmd.ProcessState),
		Stdout:   collect(grace, stdout, outR),
		Stderr:   collect(grace, stderr, errR),
	}
	switch {
	case ctx.Err() != nil:
		return res, ctx.Err()
	case runCtx.Err() != nil:
		return res, fmt.Errorf("%w after %s", ErrCommandTimeout, timeout)
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return res, waitErr
	}
	return res, nil
}

// drain reads r to its end on a goroutine, keeping the first
// MaxRunOutput bytes, and sends them when done.
func drain(r io.Reader) <-chan string {
	ch := make(chan string, 1)
	go func() {
		w := &cappedBuffer{max: MaxRunOutput}
		_, _ = io.Copy(w, r)
		ch <- string(w.buf)
	}()
	return ch
}

// collect waits for drain's output from r; when grace ends first, it
// closes r, which ends the read, and takes what was read so far.
func collect(grace context.Context, out <-chan string, r *os.File) string {
	select {
	case s := <-out:
		return s
	case <-grace.Done():
		_ = r.Close()
		return <-out
	}
}

// cappedBuffer keeps the first max bytes written to it and drops the
// rest, so that the writer never blocks on a full pipe.
type cappedBuffer struct {
	buf []byte
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// exitCode is the command's exit status, 128+N if signal N ended it, -1
// if it is unknown.
func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
