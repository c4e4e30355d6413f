package node

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

func TestTaskKinds(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "kinds")
	startAgent(t, cfg)
	waitRegistered(t, fs, 1)

	workDir := func(id int64) string { return filepath.Join(cfg.WorkDir, "tasks", strconv.FormatInt(id, 10)+"-1") }
	lua := func(id int64, src string) api.StartTask {
		tk := task(id, "")
		tk.Script, tk.Lua = "", src
		tk.Env = map[string]string{"SHRIKE_TEST_LUA": "1"}
		return tk
	}
	command := func(id int64, argv ...string) api.StartTask {
		tk := task(id, "")
		tk.Script, tk.Command = "", argv
		return tk
	}
	withEnv := task(2, `echo "job=$SHRIKE_JOB_ID task=$SHRIKE_TASK attempt=$SHRIKE_ATTEMPT id=$SHRIKE_TASK_ID node=$SHRIKE_NODE var=$MYVAR"; pwd`)
	withEnv.Env = map[string]string{"MYVAR": "hello world"}

	tests := map[string]struct {
		task     api.StartTask
		outcome  api.Outcome
		exitCode int
		log      string // exact, unless logMatch is set
		logMatch string
	}{
		"command": {
			task: command(1, "/bin/sh", "-c", "echo out; echo err >&2; exit 3"), outcome: api.OutcomeFailed, exitCode: 3,
			log: "out\nerr\n",
		},
		"script with env": {
			task: withEnv, outcome: api.OutcomeSucceeded,
			log: "job=7 task=t2 attempt=1 id=2 node=kinds var=hello world\n" + workDir(2) + "\n",
		},
		"shebang script": {
			task: task(3, "#!/bin/sh\necho shebang $0"), outcome: api.OutcomeSucceeded,
			log: "shebang " + filepath.Join(workDir(3), scriptFile) + "\n",
		},
		"lua": {
			task: lua(4, `print("from lua", os.getenv("SHRIKE_TASK")) io.write("x\n")`), outcome: api.OutcomeSucceeded,
			log: "from lua\tt4\nx\n",
		},
		"lua error": {
			task: lua(5, `error("bad thing")`), outcome: api.OutcomeFailed, exitCode: 1,
			logMatch: "bad thing",
		},
		"killed by signal": {
			task: task(6, "kill -9 $$"), outcome: api.OutcomeFailed, exitCode: 128 + 9,
		},
		"binary not found": {
			task: command(7, "/nonexistent/shrike-test-binary"), outcome: api.OutcomeError, exitCode: -1,
			logMatch: "cannot start the task",
		},
		"large output": {
			task: task(8, "head -c 200000 /dev/zero | tr '\\0' a"), outcome: api.OutcomeSucceeded,
			log: strings.Repeat("a", 200000),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			k := tc.task.Key()
			fs.start(t, "kinds", tc.task)
			res := fs.waitResult(t, k)
			if res.Outcome != tc.outcome || res.ExitCode != tc.exitCode {
				t.Errorf("outcome %s exit %d (error %q), want %s exit %d", res.Outcome, res.ExitCode, res.Error, tc.outcome, tc.exitCode)
			}
			if tc.outcome == api.OutcomeError && res.Error == "" {
				t.Errorf("result of a failed start has no error message")
			}
			if res.StartedAt.IsZero() || res.FinishedAt.Before(res.StartedAt) {
				t.Errorf("started %v finished %v", res.StartedAt, res.FinishedAt)
			}
			// The EOF chunk is published before the result.
			streamed, eof := fs.streamedLog(k)
			if !eof {
				t.Errorf("no EOF chunk before the result")
			}
			if res.LogSize != int64(len(streamed)) {
				t.Errorf("log size %d, streamed %d bytes", res.LogSize, len(streamed))
			}
			fetched := fetchAll(t, fs, "kinds", tc.task.TaskRef)
			if fetched != streamed {
				t.Errorf("fetched log %q differs from streamed log %q", short(fetched), short(streamed))
			}
			if tc.logMatch != "" {
				if !strings.Contains(streamed, tc.logMatch) {
					t.Errorf("log %q does not contain %q", short(streamed), tc.logMatch)
				}
			} else if streamed != tc.log {
				t.Errorf("log = %q, want %q", short(streamed), short(tc.log))
			}
			if _, err := os.Stat(workDir(k.TaskID)); !os.IsNotExist(err) {
				t.Errorf("work dir still there after the attempt: %v", err)
			}
		})
	}
}

// fetchAll reads an attempt's whole log with FetchLog commands, in small
// pieces to exercise offsets.
func fetchAll(t *testing.T, fs *fakeServer, node string, ref api.TaskRef) string {
	t.Helper()
	var b strings.Builder
	for range 1000 {
		req := api.FetchLogRequest{TaskRef: ref, Offset: int64(b.Len()), Max: 100 << 10}
		reply := fs.command(t, node, api.Command{FetchLog: &req})
		if reply.Error != nil || reply.Log == nil {
			t.Fatalf("fetch log: %v", reply.Error)
		}
		b.Write(reply.Log.Data)
		if reply.Log.Data == nil {
			if !reply.Log.EOF {
				t.Errorf("fetch at the end of a finished log: EOF not set")
			}
			return b.String()
		}
	}
	t.Fatal("fetch log did not end")
	return ""
}

func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

func TestKillLeavesNoOrphan(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	startAgent(t, testConfig(t, s.ClientURL(), "kill"))
	waitRegistered(t, fs, 1)

	// The background child ignores SIGTERM: only the group SIGKILL after
	// the leader's exit removes it.
	tk := task(1, `(trap '' TERM; sleep 1000) & echo "pid=$$"; wait`)
	fs.start(t, "kill", tk)
	pgid := waitPID(t, fs, tk.Key())
	if !groupAlive(pgid) {
		t.Fatal("task's process group not alive")
	}

	reply := fs.command(t, "kill", api.Command{Kill: &api.KillRequest{Tasks: []api.TaskRef{tk.TaskRef}, Reason: "test"}})
	if len(reply.Accepted) != 1 {
		t.Errorf("kill reply = %+v, want the attempt accepted", reply)
	}
	res := fs.waitResult(t, tk.Key())
	if res.Outcome != api.OutcomeKilled {
		t.Errorf("outcome %s, want killed", res.Outcome)
	}
	waitFor(t, "process group gone", func() bool { return !groupAlive(pgid) })

	// Unknown attempts are ignored.
	reply = fs.command(t, "kill", api.Command{Kill: &api.KillRequest{Tasks: []api.TaskRef{{TaskID: 99, Attempt: 1}}}})
	if len(reply.Accepted) != 0 || reply.Error != nil {
		t.Errorf("kill of an unknown attempt = %+v, want an empty reply", reply)
	}
}

var pidRE = regexp.MustCompile(`pid=(\d+)`)

// waitPID waits until the task's streamed log shows "pid=N" and returns N.
func waitPID(t *testing.T, fs *fakeServer, k api.TaskKey) int {
	t.Helper()
	var pid int
	waitFor(t, "task pid in the streamed log", func() bool {
		log, _ := fs.streamedLog(k)
		m := pidRE.FindStringSubmatch(log)
		if m == nil {
			return false
		}
		pid, _ = strconv.Atoi(m[1])
		return true
	})
	return pid
}

func TestWalltime(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	startAgent(t, testConfig(t, s.ClientURL(), "wall"))
	waitRegistered(t, fs, 1)

	// The leader ignores SIGTERM, so the kill grace of the task applies.
	tk := task(1, `trap '' TERM; echo "pid=$$"; sleep 1000`)
	tk.Walltime = api.Duration(200 * time.Millisecond)
	tk.KillGrace = api.Duration(100 * time.Millisecond)
	fs.start(t, "wall", tk)
	pgid := waitPID(t, fs, tk.Key())
	res := fs.waitResult(t, tk.Key())
	if res.Outcome != api.OutcomeWalltime || res.ExitCode != 128+9 {
		t.Errorf("outcome %s exit %d, want walltime after SIGKILL (137)", res.Outcome, res.ExitCode)
	}
	if d := res.FinishedAt.Sub(res.StartedAt); d < 200*time.Millisecond || d > 3*time.Second {
		t.Errorf("ran %s, want walltime 200ms + grace 100ms", d)
	}
	waitFor(t, "process group gone", func() bool { return !groupAlive(pgid) })
}

func TestHeartbeatKill(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	startAgent(t, testConfig(t, s.ClientURL(), "hbkill"))
	waitRegistered(t, fs, 1)

	tk := task(1, "sleep 1000")
	fs.start(t, "hbkill", tk)
	fs.mu.Lock()
	fs.killOnHeartbeat = []api.TaskRef{tk.TaskRef}
	fs.mu.Unlock()
	if res := fs.waitResult(t, tk.Key()); res.Outcome != api.OutcomeKilled {
		t.Errorf("outcome %s, want killed", res.Outcome)
	}
}

func TestDuplicateStartIsIdempotent(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	startAgent(t, testConfig(t, s.ClientURL(), "dup"))
	waitRegistered(t, fs, 1)

	mark := filepath.Join(t.TempDir(), "runs")
	tk := task(1, `echo run >> "$MARK"; sleep 0.3`)
	tk.Env = map[string]string{"MARK": mark}
	fs.setAck(false)
	fs.start(t, "dup", tk, tk) // twice in one request
	fs.start(t, "dup", tk)     // again while it runs
	waitFor(t, "result reported (not yet acknowledged)", func() bool { return fs.reportAttempts() > 0 })
	fs.start(t, "dup", tk) // again while its result awaits acknowledgement
	fs.setAck(true)
	fs.waitResult(t, tk.Key())

	data, err := os.ReadFile(mark)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "run"); n != 1 {
		t.Errorf("task ran %d times, want once", n)
	}
}

func TestCommandErrors(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	startAgent(t, testConfig(t, s.ClientURL(), "cmderr"))
	waitRegistered(t, fs, 1)

	reply := fs.command(t, "cmderr", api.Command{})
	if !api.IsCode(reply.Error, api.CodeBadRequest) {
		t.Errorf("empty command: error %v, want bad_request", reply.Error)
	}
	bad := task(1, "")
	both := task(2, "echo")
	both.Command = []string{"echo"}
	badEnv := task(3, "echo")
	badEnv.Env = map[string]string{"A=B": "x"}
	reply = fs.command(t, "cmderr", api.Command{Start: &api.StartRequest{Tasks: []api.StartTask{bad, both, badEnv}}})
	if len(reply.Rejected) != 3 || len(reply.Accepted) != 0 {
		t.Errorf("invalid starts: %+v, want 3 rejected", reply)
	}
	for _, r := range reply.Rejected {
		if r.Reason == "" {
			t.Errorf("rejection of task %d has no reason", r.TaskID)
		}
	}
	reply = fs.command(t, "cmderr", api.Command{FetchLog: &api.FetchLogRequest{TaskRef: api.TaskRef{TaskID: 42, Attempt: 1}}})
	if !api.IsCode(reply.Error, api.CodeNotFound) {
		t.Errorf("fetch of a missing log: error %v, want not_found", reply.Error)
	}
}

func TestShutdownKillsWithoutResult(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "shut")
	ra := startAgent(t, cfg)
	waitRegistered(t, fs, 1)

	tk := task(1, `echo "pid=$$"; sleep 1000`)
	fs.start(t, "shut", tk)
	pgid := waitPID(t, fs, tk.Key())
	start := time.Now()
	if err := ra.stop(t); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if d := time.Since(start); d > 20*time.Second { // catches a hang, not a slow machine
		t.Errorf("shutdown took %s", d)
	}
	waitFor(t, "process group gone", func() bool { return !groupAlive(pgid) })
	if got := fs.deliveries(tk.Key()); len(got) != 0 {
		t.Errorf("results for a task killed at shutdown: %+v, want none", got)
	}
	if got := journalResults(t, filepath.Join(cfg.WorkDir, "outbox")); len(got) != 0 {
		t.Errorf("outbox journal holds %v, want no result", got)
	}
}
