package node

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
)

// execWatch collects what a node publishes about one exec.
type execWatch struct {
	mu   sync.Mutex
	msgs []api.ExecMessage
}

// watchExec subscribes to the exec's subject (before the exec starts, as
// the server does).
func watchExec(t *testing.T, fs *fakeServer, node, id string) *execWatch {
	t.Helper()
	w := &execWatch{}
	sub, err := fs.nc.Subscribe(api.SubjectExec(node, id), func(m *nats.Msg) {
		var em api.ExecMessage
		if err := json.Unmarshal(m.Data, &em); err != nil {
			t.Errorf("bad exec message: %v", err)
			return
		}
		w.mu.Lock()
		w.msgs = append(w.msgs, em)
		w.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := fs.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return w
}

// output returns what came on stream so far.
func (w *execWatch) output(stream string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, m := range w.msgs {
		if m.Stream == stream {
			b.Write(m.Data)
		}
	}
	return b.String()
}

// waitEnd waits for the end message and checks that the Seqs run 1..n.
func (w *execWatch) waitEnd(t *testing.T) api.ExecMessage {
	t.Helper()
	var end api.ExecMessage
	waitFor(t, "the end of the exec", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		if n := len(w.msgs); n > 0 && w.msgs[n-1].End {
			end = w.msgs[n-1]
			return true
		}
		return false
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, m := range w.msgs {
		if m.Seq != uint64(i+1) {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
	}
	return end
}

// execIn asks node to exec argv in attempt ref.
func execIn(t *testing.T, fs *fakeServer, node string, ref api.TaskRef, id string, argv ...string) api.CommandReply {
	t.Helper()
	return fs.command(t, node, api.Command{Exec: &api.ExecRequest{TaskRef: ref, ID: id, Argv: argv}})
}

// running reports whether the last heartbeat of fs lists ref.
func lastHeartbeatLists(fs *fakeServer, ref api.TaskRef) bool {
	hbs := fs.heartbeatList()
	return len(hbs) > 0 && slices.Contains(hbs[len(hbs)-1].Running, ref)
}

func TestMultiNodePrimaryEnvAndNodesFile(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "n1")
	startAgent(t, cfg)
	waitRegistered(t, fs, 1)

	multi := task(1, `echo "nodes=$SHRIKE_NODES count=$SHRIKE_NODE_COUNT file=$SHRIKE_NODEFILE"; cat "$SHRIKE_NODEFILE"`)
	multi.Nodes = []string{"n1", "n2", "n3"}
	single := task(2, `echo "nodes=${SHRIKE_NODES-unset} file=${SHRIKE_NODEFILE-unset}"; ls`)
	single.Nodes = []string{"n1"}
	fs.start(t, "n1", multi, single)

	res := fs.waitResult(t, multi.Key())
	if res.Outcome != api.OutcomeSucceeded {
		t.Fatalf("multi-node task: %+v", res)
	}
	file := filepath.Join(cfg.WorkDir, "tasks", "1-1", nodesFile)
	waitFor(t, "the log", func() bool { _, eof := fs.streamedLog(multi.Key()); return eof })
	got, _ := fs.streamedLog(multi.Key())
	want := "nodes=n1,n2,n3 count=3 file=" + file + "\nn1\nn2\nn3\n"
	if got != want {
		t.Errorf("multi-node task printed\n%q\nwant\n%q", got, want)
	}

	if res := fs.waitResult(t, single.Key()); res.Outcome != api.OutcomeSucceeded {
		t.Fatalf("single-node task: %+v", res)
	}
	waitFor(t, "the log", func() bool { _, eof := fs.streamedLog(single.Key()); return eof })
	if got, _ := fs.streamedLog(single.Key()); got != "nodes=unset file=unset\ntask.sh\n" {
		t.Errorf("single-node task printed %q: no multi-node variables or nodes file expected", got)
	}
}

func TestHoldKeepsItsSlotUntilKilledAndKillsItsExecs(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "n2")
	startAgent(t, cfg)
	waitRegistered(t, fs, 1)

	hold := api.StartTask{TaskRef: api.TaskRef{TaskID: 5, Attempt: 1, JobID: 9, Task: "mpi"}, JobName: "job",
		Hold: true, Nodes: []string{"n2", "n1"}, Env: map[string]string{"TASKVAR": "tv"}}
	fs.start(t, "n2", hold)
	waitFor(t, "the hold in a heartbeat", func() bool { return lastHeartbeatLists(fs, hold.TaskRef) })

	// A short exec sees the task's environment and work dir.
	w := watchExec(t, fs, "n2", "e1")
	reply := execIn(t, fs, "n2", hold.TaskRef, "e1", "/bin/sh", "-c",
		`echo "$SHRIKE_TASK $SHRIKE_NODES $TASKVAR $(pwd)"; cat "$SHRIKE_NODEFILE"`)
	if reply.Error != nil || len(reply.Accepted) != 1 {
		t.Fatalf("exec into the hold: %+v", reply)
	}
	if end := w.waitEnd(t); end.ExitCode != 0 || end.Error != "" {
		t.Fatalf("exec ended with %+v", end)
	}
	dir := filepath.Join(cfg.WorkDir, "tasks", "5-1")
	if got, want := w.output(api.StreamStdout), "mpi n2,n1 tv "+dir+"\nn2\nn1\n"; got != want {
		t.Errorf("exec printed %q, want %q", got, want)
	}

	// A long one (and its child) lives as long as the hold.
	long := watchExec(t, fs, "n2", "e2")
	if r := execIn(t, fs, "n2", hold.TaskRef, "e2", "/bin/sh", "-c", "sleep 300 & echo $$; wait"); r.Error != nil {
		t.Fatalf("long exec: %v", r.Error)
	}
	waitFor(t, "the long exec's pid", func() bool { return strings.HasSuffix(long.output(api.StreamStdout), "\n") })
	pgid, err := strconv.Atoi(strings.TrimSpace(long.output(api.StreamStdout)))
	if err != nil {
		t.Fatal(err)
	}
	if !groupAlive(pgid) {
		t.Fatal("the long exec is not running")
	}
	if len(fs.deliveries(hold.Key())) != 0 || !lastHeartbeatLists(fs, hold.TaskRef) {
		t.Fatal("the hold ended by itself")
	}

	fs.command(t, "n2", api.Command{Kill: &api.KillRequest{Tasks: []api.TaskRef{hold.TaskRef}}})
	res := fs.waitResult(t, hold.Key())
	if res.Outcome != api.OutcomeKilled {
		t.Errorf("hold ended %+v, want killed", res)
	}
	if end := long.waitEnd(t); end.ExitCode != 128+15 {
		t.Errorf("long exec ended with %+v, want exit code 143 (SIGTERM)", end)
	}
	waitFor(t, "the long exec's group to die", func() bool { return !groupAlive(pgid) })
	waitFor(t, "the hold to leave the heartbeats", func() bool { return !lastHeartbeatLists(fs, hold.TaskRef) })

	// Over: no more execs into it.
	if r := execIn(t, fs, "n2", hold.TaskRef, "e3", "true"); r.Error == nil || r.Error.Code != api.CodeNotFound {
		t.Errorf("exec into an ended hold: %+v, want not_found", r)
	}
}

func TestExecIntoRunningAttemptStreamsOutputAndExitCode(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "n3")
	startAgent(t, cfg)
	waitRegistered(t, fs, 1)

	primary := task(3, "echo started; sleep 300")
	fs.start(t, "n3", primary)
	waitFor(t, "the task to start", func() bool { got, _ := fs.streamedLog(primary.Key()); return got == "started\n" })

	w := watchExec(t, fs, "n3", "x1")
	reply := fs.command(t, "n3", api.Command{Exec: &api.ExecRequest{TaskRef: primary.TaskRef, ID: "x1",
		Argv: []string{"/bin/sh", "-c", `echo "out $EXTRA $SHRIKE_TASK_ID"; echo err >&2; head -c 100000 /dev/zero | tr '\0' b; exit 5`},
		Env:  map[string]string{"EXTRA": "extra", "SHRIKE_TASK_ID": "overridden"}}})
	if reply.Error != nil {
		t.Fatalf("exec: %v", reply.Error)
	}
	end := w.waitEnd(t)
	if end.ExitCode != 5 || end.Error != "" {
		t.Errorf("exec ended with %+v, want exit code 5", end)
	}
	if got, want := w.output(api.StreamStdout), "out extra 3\n"+strings.Repeat("b", 100000); got != want {
		t.Errorf("stdout: %d bytes starting %.40q, want %d starting %.40q", len(got), got, len(want), want)
	}
	if got := w.output(api.StreamStderr); got != "err\n" {
		t.Errorf("stderr %q", got)
	}
	if got, _ := fs.streamedLog(primary.Key()); got != "started\n" {
		t.Errorf("the exec's output went into the task's log: %q", got)
	}

	// Killing one exec leaves the task running.
	k := watchExec(t, fs, "n3", "x2")
	if r := execIn(t, fs, "n3", primary.TaskRef, "x2", "sleep", "300"); r.Error != nil {
		t.Fatalf("exec: %v", r.Error)
	}
	if r := execIn(t, fs, "n3", primary.TaskRef, "x2", "true"); r.Error == nil || r.Error.Code != api.CodeConflict {
		t.Errorf("a second exec with the same id: %+v, want conflict", r)
	}
	r := fs.command(t, "n3", api.Command{Exec: &api.ExecRequest{TaskRef: primary.TaskRef, ID: "x2", Kill: true}})
	if r.Error != nil {
		t.Fatalf("kill exec: %v", r.Error)
	}
	if end := k.waitEnd(t); end.ExitCode != 128+15 {
		t.Errorf("killed exec ended with %+v", end)
	}
	if len(fs.deliveries(primary.Key())) != 0 {
		t.Error("killing an exec ended the task")
	}

	// The attempt's end ends its execs.
	last := watchExec(t, fs, "n3", "x3")
	if r := execIn(t, fs, "n3", primary.TaskRef, "x3", "sleep", "300"); r.Error != nil {
		t.Fatalf("exec: %v", r.Error)
	}
	fs.command(t, "n3", api.Command{Kill: &api.KillRequest{Tasks: []api.TaskRef{primary.TaskRef}}})
	if res := fs.waitResult(t, primary.Key()); res.Outcome != api.OutcomeKilled {
		t.Errorf("task ended %+v", res)
	}
	if end := last.waitEnd(t); end.ExitCode != 128+15 {
		t.Errorf("exec of a killed task ended with %+v", end)
	}
}

func TestExecRefused(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "n4")
	startAgent(t, cfg)
	waitRegistered(t, fs, 1)
	primary := task(4, "sleep 300")
	fs.start(t, "n4", primary)
	waitFor(t, "the task in a heartbeat", func() bool { return lastHeartbeatLists(fs, primary.TaskRef) })

	other := primary.TaskRef
	other.Attempt = 2
	tests := map[string]struct {
		req  api.ExecRequest
		code api.Code
	}{
		"unknown attempt": {api.ExecRequest{TaskRef: other, ID: "a", Argv: []string{"true"}}, api.CodeNotFound},
		"unknown task":    {api.ExecRequest{TaskRef: api.TaskRef{TaskID: 99, Attempt: 1}, ID: "a", Argv: []string{"true"}}, api.CodeNotFound},
		"other job":       {api.ExecRequest{TaskRef: api.TaskRef{TaskID: 4, Attempt: 1, JobID: 8}, ID: "a", Argv: []string{"true"}}, api.CodeNotFound},
		"bad id":          {api.ExecRequest{TaskRef: primary.TaskRef, ID: "a.b", Argv: []string{"true"}}, api.CodeBadRequest},
		"no argv":         {api.ExecRequest{TaskRef: primary.TaskRef, ID: "a"}, api.CodeBadRequest},
		"bad env":         {api.ExecRequest{TaskRef: primary.TaskRef, ID: "a", Argv: []string{"true"}, Env: map[string]string{"A=B": "c"}}, api.CodeBadRequest},
		"no such binary":  {api.ExecRequest{TaskRef: primary.TaskRef, ID: "a", Argv: []string{"/nonexistent/shrike-exec"}}, api.CodeInvalid},
		"kill unknown":    {api.ExecRequest{TaskRef: primary.TaskRef, ID: "zz", Kill: true}, api.CodeNotFound},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := fs.command(t, "n4", api.Command{Exec: &tc.req})
			if r.Error == nil || r.Error.Code != tc.code || len(r.Accepted) != 0 {
				t.Errorf("reply %+v, want error %s", r, tc.code)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(cfg.WorkDir, "tasks", "4-2")); err == nil {
		t.Error("an exec into an unknown attempt made a work dir")
	}
}

func TestAgentStopKillsExecsOfAHold(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	ra := startAgent(t, testConfig(t, s.ClientURL(), "n5"))
	waitRegistered(t, fs, 1)
	hold := api.StartTask{TaskRef: api.TaskRef{TaskID: 6, Attempt: 1, JobID: 9, Task: "t"}, Hold: true, Nodes: []string{"n5", "n1"}}
	fs.start(t, "n5", hold)
	w := watchExec(t, fs, "n5", "s1")
	if r := execIn(t, fs, "n5", hold.TaskRef, "s1", "/bin/sh", "-c", "echo $$; exec sleep 300"); r.Error != nil {
		t.Fatalf("exec: %v", r.Error)
	}
	waitFor(t, "the exec's pid", func() bool { return strings.HasSuffix(w.output(api.StreamStdout), "\n") })
	pgid, err := strconv.Atoi(strings.TrimSpace(w.output(api.StreamStdout)))
	if err != nil {
		t.Fatal(err)
	}
	if err := ra.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if groupAlive(pgid) {
		t.Error("the exec'd process outlived the agent")
	}
	if len(fs.deliveries(hold.Key())) != 0 {
		t.Error("a hold stopped with the agent was reported (attempts are not reported on shutdown; the server treats them as lost)")
	}
}

func TestWithShrikeBin(t *testing.T) {
	tests := map[string]struct {
		env  []string
		bin  string
		want []string
	}{
		"appended to PATH": {[]string{"HOME=/h", "PATH=/usr/bin:/bin"}, "/opt/shrike/bin/shrike",
			[]string{"HOME=/h", "PATH=/usr/bin:/bin:/opt/shrike/bin", "SHRIKE_BIN=/opt/shrike/bin/shrike"}},
		"already on PATH": {[]string{"PATH=/usr/local/bin:/usr/bin"}, "/usr/local/bin/shrike",
			[]string{"PATH=/usr/local/bin:/usr/bin", "SHRIKE_BIN=/usr/local/bin/shrike"}},
		"no PATH": {[]string{"HOME=/h"}, "/x/shrike",
			[]string{"HOME=/h", "SHRIKE_BIN=/x/shrike", "PATH=/usr/local/bin:/usr/bin:/bin:/x"}},
		"not named shrike": {[]string{"PATH=/bin"}, "/tmp/node.test",
			[]string{"PATH=/bin", "SHRIKE_BIN=/tmp/node.test"}},
		"none": {[]string{"PATH=/bin"}, "", []string{"PATH=/bin"}},
	}
	for name, tc := range tests {
		if got := withShrikeBin(slices.Clone(tc.env), tc.bin); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}
