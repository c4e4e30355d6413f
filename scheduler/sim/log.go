package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/scheduler"
)

// logf writes one event line, prefixed with the virtual time.
func (e *Engine) logf(format string, args ...any) {
	if e.Log == nil {
		return
	}
	fmt.Fprintf(e.Log, "t=%s %s\n", Clock(e.now), fmt.Sprintf(format, args...))
}

// taskf writes one event line about a task.
func (e *Engine) taskf(t *task, format string, args ...any) {
	if e.Log == nil {
		return
	}
	e.logf("job %d task %s %s", t.job.id, t.name(), fmt.Sprintf(format, args...))
}

// Clock formats a virtual time as the event log does: "0s", "12s",
// "1m30s", "10m", "3h10m".
func Clock(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// waited logs a task's waiting reason the first time it waits and when
// the reason changes, so that a task waiting for an hour is one line.
func (e *Engine) waited(t *task, reasons []scheduler.Reason) {
	why := scheduler.JoinReasons(reasons)
	if why == t.waiting {
		return
	}
	t.waiting = why
	e.taskf(t, "waiting: %s", why)
}

// plural writes "1 task", "3 tasks".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
