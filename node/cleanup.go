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

// cleanLogsLoop removes old task logs and kept scratch directories now
// and then every logCleanEvery, until ctx is cancelled.
func (a *Agent) cleanLogsLoop(ctx context.Context) {
	t := time.NewTicker(logCleanEvery)
	defer t.Stop()
	for {
		cutoff := time.Now().Add(-a.cfg.LogRetention)
		a.cleanLogs(cutoff)
		if !a.cfg.KeepWorkDirs {
			a.cleanKeptScratch(cutoff)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// cleanKeptScratch removes the scratch directories of attempts that no
// longer run (kept after a failure, see keptOnFailure) last modified before
// cutoff.
func (a *Agent) cleanKeptScratch(cutoff time.Time) {
	entries, err := os.ReadDir(a.tasksDir)
	if err != nil {
		return
	}
	a.mu.Lock()
	running := make(map[string]bool, len(a.running))
	for k := range a.running {
		running[attemptName(k)] = true
	}
	a.mu.Unlock()
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || running[e.Name()] || !info.ModTime().Before(cutoff) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(a.tasksDir, e.Name())); err != nil {
			a.log.Warn("cannot remove a kept scratch dir", "dir", e.Name(), "err", err)
		} else {
			a.log.Info("removed a kept scratch dir", "dir", e.Name())
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
