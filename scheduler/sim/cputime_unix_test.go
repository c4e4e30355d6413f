//go:build unix

package sim

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) the process has used, all
// threads together: on a busy machine it measures a cycle's own cost,
// where wall time also counts the waits for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
