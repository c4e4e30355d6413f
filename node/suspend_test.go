package node

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// counterTask appends a line to ./counter every 20ms, forever.
func counterTask(id int64) api.StartTask {
	return task(id, "while :; do echo x >> counter; sleep 0.02; done")
}

// counterSize is the size of the counter file of attempt 1 of task id.
func counterSize(cfg Config, id int64) int64 {
	info, err := os.Stat(filepath.Join(cfg.WorkDir, "tasks", strconv.FormatInt(id, 10)+"-1", "counter"))
	if err != nil {
		return 0
	}
	return info.Size()
}

// attemptPgid waits until attempt 1 of task id has started and returns
// its process group.
func attemptPgid(t *testing.T, a *Agent, id int64) int {
	t.Helper()
	var pgid int
	waitFor(t, "task "+strconv.FormatInt(id, 10)+" started", func() bool {
		a.mu.Lock()
		at := a.running[api.TaskKey{TaskID: id, Attempt: 1}]
		a.mu.Unlock()
		if at == nil {
			return false
		}
		at.mu.Lock()
		defer at.mu.Unlock()
		pgid = at.pgid
		return pgid != 0
	})
	return pgid
}

// groupStopped reports whether process group pgid has live members and
// all of them are stopped. A shell that vforked waits, in state D, for its
// child to exec: it counts as stopped when that child is.
func groupStopped(pgid int) bool {
	type proc struct {
		state string
		ppid  int
	}
	members := map[int]proc{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 3 || fields[0] == "Z" {
			continue
		}
		if g, _ := strconv.Atoi(fields[2]); g == pgid {
			ppid, _ := strconv.Atoi(fields[1])
			members[pid] = proc{state: fields[0], ppid: ppid}
		}
	}
	stopped := func(s string) bool { return s == "T" || s == "t" }
	for pid, p := range members {
		if stopped(p.state) {
			continue
		}
		vforkWait := false
		for _, child := range members {
			if child.ppid == pid && stopped(child.state) && p.state == "D" {
				vforkWait = true
			}
		}
		if !vforkWait {
			return false
		}
	}
	return len(members) > 0
}

// lastHeartbeat returns the latest heartbeat fs received, if any.
func (fs *fakeServer) lastHeartbeat() (api.Heartbeat, bool) {
	hbs := fs.heartbeatList()
	if len(hbs) == 0 {
		return api.Heartbeat{}, false
	}
	return hbs[len(hbs)-1], true
}

func TestSuspendResume(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "susp")
	ra := startAgent(t, cfg)
	waitRegistered(t, fs, 1)

	const walltime = 2 * time.Second
	tk := counterTask(1)
	tk.Walltime = api.Duration(walltime)
	fs.start(t, "susp", tk)
	pgid := attemptPgid(t, ra.Agent, 1)
	waitFor(t, "the counter to grow", func() bool { return counterSize(cfg, 1) > 0 })

	reply := fs.command(t, "susp", api.Command{Suspend: &api.SuspendRequest{Reason: "owner is back"}})
	suspendedAt := time.Now()
	if reply.Error != nil || len(reply.Accepted) != 1 || reply.Accepted[0].TaskID != 1 {
		t.Fatalf("suspend reply = %+v, want task 1 accepted", reply)
	}
	waitFor(t, "the task's processes to stop", func() bool { return groupStopped(pgid) })
	waitFor(t, "a heartbeat saying suspended", func() bool {
		hb, ok := fs.lastHeartbeat()
		return ok && hb.Suspended
	})
	stopped := counterSize(cfg, 1)
	// Longer than the walltime: the clock must not run meanwhile.
	time.Sleep(walltime + 500*time.Millisecond)
	if got := counterSize(cfg, 1); got != stopped {
		t.Errorf("counter grew from %d to %d while suspended", stopped, got)
	}
	if res := fs.deliveries(tk.Key()); len(res) > 0 {
		t.Fatalf("task ended while suspended: %+v", res[0])
	}
	suspendedFor := time.Since(suspendedAt)

	reply = fs.command(t, "susp", api.Command{Suspend: &api.SuspendRequest{Resume: true}})
	if reply.Error != nil || len(reply.Accepted) != 1 {
		t.Fatalf("resume reply = %+v, want task 1 accepted", reply)
	}
	waitFor(t, "the counter to grow again", func() bool { return counterSize(cfg, 1) > stopped })
	waitFor(t, "a heartbeat saying not suspended", func() bool {
		hb, ok := fs.lastHeartbeat()
		return ok && !hb.Suspended
	})

	res := fs.waitResult(t, tk.Key())
	if res.Outcome != api.OutcomeWalltime {
		t.Errorf("outcome %s, want walltime", res.Outcome)
	}
	// A lower bound only: the deadline moved by at least the time the test
	// kept the task suspended.
	if ran := res.FinishedAt.Sub(res.StartedAt); ran < walltime+suspendedFor {
		t.Errorf("ran %s, want at least walltime %s + suspended %s", ran, walltime, suspendedFor)
	}
}

func TestKillSuspendedTask(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "suspkill")
	cfg.KillGrace = 5 * time.Second // SIGKILL must not be what ends it
	ra := startAgent(t, cfg)
	waitRegistered(t, fs, 1)

	tk := task(1, "trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.02; done")
	fs.start(t, "suspkill", tk)
	pgid := attemptPgid(t, ra.Agent, 1)
	waitFor(t, "the task to set its trap", func() bool {
		log, _ := fs.streamedLog(tk.Key())
		return strings.Contains(log, "ready")
	})
	fs.command(t, "suspkill", api.Command{Suspend: &api.SuspendRequest{}})
	waitFor(t, "the task's processes to stop", func() bool { return groupStopped(pgid) })

	reply := fs.command(t, "suspkill", api.Command{Kill: &api.KillRequest{Tasks: []api.TaskRef{tk.TaskRef}, Reason: "test"}})
	if len(reply.Accepted) != 1 {
		t.Fatalf("kill reply = %+v, want task 1 accepted", reply)
	}
	res := fs.waitResult(t, tk.Key())
	log, _ := fs.streamedLog(tk.Key())
	if res.Outcome != api.OutcomeKilled || res.ExitCode != 0 || !strings.Contains(log, "got TERM") {
		t.Errorf("outcome %s exit %d log %q, want killed after handling SIGTERM (exit 0)", res.Outcome, res.ExitCode, log)
	}
}

func TestStartWhileSuspended(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "suspstart")
	ra := startAgent(t, cfg)
	waitRegistered(t, fs, 1)

	reply := fs.command(t, "suspstart", api.Command{Suspend: &api.SuspendRequest{}})
	if reply.Error != nil || len(reply.Accepted) != 0 {
		t.Fatalf("suspend of an empty node = %+v, want no error and nothing signalled", reply)
	}
	tk := counterTask(1)
	fs.start(t, "suspstart", tk)
	pgid := attemptPgid(t, ra.Agent, 1)
	waitFor(t, "the new task's processes to stop", func() bool { return groupStopped(pgid) })

	// Resuming twice is harmless.
	for range 2 {
		reply = fs.command(t, "suspstart", api.Command{Suspend: &api.SuspendRequest{Resume: true}})
		if reply.Error != nil || len(reply.Accepted) != 1 {
			t.Fatalf("resume reply = %+v, want task 1 accepted", reply)
		}
	}
	before := counterSize(cfg, 1)
	waitFor(t, "the counter to grow after resume", func() bool { return counterSize(cfg, 1) > before })
	fs.command(t, "suspstart", api.Command{Kill: &api.KillRequest{Tasks: []api.TaskRef{tk.TaskRef}}})
	if res := fs.waitResult(t, tk.Key()); res.Outcome != api.OutcomeKilled {
		t.Errorf("outcome %s, want killed", res.Outcome)
	}
}
