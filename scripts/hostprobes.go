package scripts

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// HostProbes are the Probes of the host the code runs on (Linux): /proc
// for memory and load, statfs for disks, stat for files, PATH for
// commands.
//
// File system calls (stat, statfs) can hang on a dead network mount; each
// one runs on its own goroutine, which the probe abandons when its
// context ends (the goroutine ends with the system call).
type HostProbes struct {
	// WorkDir is the node's work directory: where disk_free looks by
	// default and where commands run.
	WorkDir string
	// AllowCommands lets scripts run commands (host.run).
	AllowCommands bool
	// Environ is the environment host.env reads and commands get, as
	// KEY=VALUE (later entries win). Nil means the process's own: pass a
	// list without secrets when the process has some.
	Environ []string
}

var _ Probes = HostProbes{}

// Where the kernel reports memory and load.
const (
	procMeminfo = "/proc/meminfo"
	procLoadavg = "/proc/loadavg"
)

// FileExists implements Probes.
func (h HostProbes) FileExists(ctx context.Context, path string) (bool, error) {
	fi, err := statCtx(ctx, path)
	if err != nil {
		return false, notExistIsFalse(err)
	}
	return !fi.IsDir(), nil
}

// DirExists implements Probes.
func (h HostProbes) DirExists(ctx context.Context, path string) (bool, error) {
	fi, err := statCtx(ctx, path)
	if err != nil {
		return false, notExistIsFalse(err)
	}
	return fi.IsDir(), nil
}

// CommandExists implements Probes. A relative name found through a
// relative PATH entry (exec.ErrDot) does not count.
func (h HostProbes) CommandExists(ctx context.Context, name string) (bool, error) {
	if name == "" {
		return false, nil
	}
	_, err := inCtx(ctx, func() (string, error) { return exec.LookPath(name) })
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	return err == nil, nil
}

// Env implements Probes.
func (h HostProbes) Env(name string) (string, bool) {
	if h.Environ == nil {
		return os.LookupEnv(name)
	}
	for i := len(h.Environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(h.Environ[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// MemFree implements Probes: MemAvailable from /proc/meminfo (MemFree on
// kernels before 3.14).
func (h HostProbes) MemFree(context.Context) (int64, error) {
	f, err := os.Open(procMeminfo)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	free := int64(-1)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, rest, _ := strings.Cut(sc.Text(), ":")
		if key != "MemAvailable" && key != "MemFree" {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %s: %w", procMeminfo, key, err)
		}
		if len(fields) > 1 && fields[1] == "kB" {
			n *= 1024
		}
		if key == "MemAvailable" {
			return n, nil
		}
		free = n
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if free < 0 {
		return 0, fmt.Errorf("%s: no MemAvailable or MemFree", procMeminfo)
	}
	return free, nil
}

// DiskFree implements Probes.
func (h HostProbes) DiskFree(ctx context.Context, path string) (int64, error) {
	if path == "" {
		path = h.WorkDir
	}
	if path == "" {
		return 0, errors.New("no path, and the node has no work directory")
	}
	return inCtx(ctx, func() (int64, error) {
		var st syscall.Statfs_t
		if err := syscall.Statfs(path, &st); err != nil {
			return 0, &fs.PathError{Op: "statfs", Path: path, Err: err}
		}
		return int64(st.Bavail) * int64(st.Bsize), nil
	})
}

// Load1 implements Probes.
func (h HostProbes) Load1(context.Context) (float64, error) {
	data, err := os.ReadFile(procLoadavg)
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 0, fmt.Errorf("%s: empty", procLoadavg)
	}
	x, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", procLoadavg, err)
	}
	return x, nil
}

// statCtx is os.Stat, abandoned when ctx ends.
func statCtx(ctx context.Context, path string) (fs.FileInfo, error) {
	if path == "" {
		return nil, fs.ErrNotExist
	}
	return inCtx(ctx, func() (fs.FileInfo, error) { return os.Stat(path) })
}

// notExistIsFalse turns "does not exist" (or a path through a file) into
// no error: the answer is false.
func notExistIsFalse(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ENAMETOOLONG) {
		return nil
	}
	return err
}

// inCtx runs f on its own goroutine and returns its result, or ctx's
// error as soon as ctx ends (f then finishes on its own).
func inCtx[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	ch := make(chan result, 1)
	go func() {
		v, err := f()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}
