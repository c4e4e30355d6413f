package node

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// procRoot is the proc file system the orphan reaper scans.
const procRoot = "/proc"

// agentIDVar names the variable that carries, in every task's environment,
// the id of the agent work dir that started it (see loadAgentID). The
// reaper recognises its orphans by it: node names need not be unique on a
// host (two dev grids, parallel test grids), work dirs are.
const agentIDVar = "SHRIKE_AGENT_ID"

// orphan is a process group left running by an earlier run of this node:
// a task attempt whose agent died without killing it.
type orphan struct {
	pgid    int
	pid     int    // the first matching process found in the group
	taskID  string // SHRIKE_TASK_ID of that process
	attempt string // SHRIKE_ATTEMPT of that process
}

// reapOrphans SIGKILLs the process groups of tasks that an earlier run of
// node left behind (the agent was killed, so its tasks kept running while
// the server retries them elsewhere). They are found in root (a /proc
// tree) by the initial environment the agent gives every task:
// SHRIKE_AGENT_ID=agentID and SHRIKE_TASK_ID set. The agent's own process group
// and PID 1 are never signalled. It returns the number of groups killed.
//
// A process found can exit and its pid or group id be reused between the
// scan and the kill; as in attempt, that race of microseconds is accepted.
func reapOrphans(root, agentID string, log *slog.Logger) int {
	killed := 0
	for _, o := range findOrphans(root, agentID, os.Getpid(), syscall.Getpgrp()) {
		err := syscall.Kill(-o.pgid, syscall.SIGKILL)
		switch {
		case errors.Is(err, syscall.ESRCH):
			continue // gone in the meantime
		case err != nil:
			log.Warn("cannot kill an orphaned task of an earlier run", "task_id", o.taskID, "attempt", o.attempt, "pgid", o.pgid, "err", err)
			continue
		}
		killed++
		log.Warn("killed an orphaned task of an earlier run", "task_id", o.taskID, "attempt", o.attempt, "pgid", o.pgid, "pid", o.pid)
	}
	return killed
}

// findOrphans lists, in pid order and once per process group, the groups
// under root holding a process whose initial environment has
// SHRIKE_AGENT_ID=agentID and a SHRIKE_TASK_ID. Processes whose files cannot be
// read (another user's, or gone) are skipped, as are PID 1, selfPID and
// groups that must not be killed: group ids up to 1 and selfPGID.
func findOrphans(root, agentID string, selfPID, selfPGID int) []orphan {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	var found []orphan
	seen := make(map[int]bool)
	for _, pid := range pids {
		if pid == 1 || pid == selfPID {
			continue
		}
		dir := filepath.Join(root, strconv.Itoa(pid))
		environ, err := os.ReadFile(filepath.Join(dir, "environ"))
		if err != nil {
			continue
		}
		if v, ok := environValue(environ, agentIDVar); !ok || v != agentID {
			continue
		}
		taskID, ok := environValue(environ, "SHRIKE_TASK_ID")
		if !ok {
			continue
		}
		pgid, ok := statPGID(filepath.Join(dir, "stat"))
		if !ok || pgid <= 1 || pgid == selfPGID || seen[pgid] {
			continue
		}
		seen[pgid] = true
		attempt, _ := environValue(environ, "SHRIKE_ATTEMPT")
		found = append(found, orphan{pgid: pgid, pid: pid, taskID: taskID, attempt: attempt})
	}
	return found
}

// environValue returns the value of name in a /proc/<pid>/environ image
// (NUL-separated NAME=value entries); the first entry wins, as in getenv.
func environValue(environ []byte, name string) (string, bool) {
	prefix := []byte(name + "=")
	for entry := range bytes.SplitSeq(environ, []byte{0}) {
		if v, ok := bytes.CutPrefix(entry, prefix); ok {
			return string(v), true
		}
	}
	return "", false
}

// statPGID reads the process group id, field 5, from a /proc/<pid>/stat
// file: "pid (comm) state ppid pgrp ...", where comm may hold spaces and
// parentheses, so the fields are counted from the last ')'.
func statPGID(path string) (int, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 3 {
		return 0, false
	}
	pgid, err := strconv.Atoi(fields[2])
	if err != nil {
		return 0, false
	}
	return pgid, true
}

// loadAgentID returns the id of the agent work dir, kept in <work>/agent-id
// and created (random) on first use: every run of an agent on that work
// dir has the same id, and no other work dir has it.
func loadAgentID(work string) (string, error) {
	path := filepath.Join(work, "agent-id")
	data, err := os.ReadFile(path)
	if err == nil && len(bytes.TrimSpace(data)) > 0 {
		return string(bytes.TrimSpace(data)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	id := newInstanceID()
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	return id, nil
}
