package infra

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// agentAlive reports whether process pid runs and is the agent working in
// dir: a PID recycled by another process, or a zombie, is not. Without
// /proc it trusts the PID.
func agentAlive(pid int, dir string) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		_, noProc := os.Stat("/proc/self/cmdline")
		return noProc != nil
	}
	return slices.Contains(strings.Split(string(data), "\x00"), dir)
}
