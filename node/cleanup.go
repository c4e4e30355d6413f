package node

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// logCleanEvery is how often old task logs are looked for.
const logCleanEvery = time.Hour

// removeStaleWorkDirs removes the working directories left by attempts of
// an earlier run (none of which can still be running in this agent).
func (a *Agent) removeStaleWorkDirs() {
	entries, err := os.ReadDir(a.tasksDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(a.tasksDir, e.Name())); err != nil {
			a.log.Warn("cannot remove stale task work dir", "dir", e.Name(), "err", err)
		}
	}
}

// cleanLogsLoop removes old task logs now and then every logCleanEvery,
// until ctx is cancelled.
func (a *Agent) cleanLogsLoop(ctx context.Context) {
	t := time.NewTicker(logCleanEvery)
	defer t.Stop()
	for {
		a.cleanLogs(time.Now().Add(-a.cfg.LogRetention))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// cleanLogs removes the task logs last written before cutoff.
func (a *Agent) cleanLogs(cutoff time.Time) {
	entries, err := os.ReadDir(a.logsDir)
	if err != nil {
		return
	}
	removed := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		if os.Remove(filepath.Join(a.logsDir, e.Name())) == nil {
			removed++
		}
	}
	if removed > 0 {
		a.log.Info("removed old task logs", "count", removed)
	}
}
