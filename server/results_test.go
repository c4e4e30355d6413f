package server

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/scripts"
)

// luaRunnerEnv, set in a task's environment, makes this test binary run
// the task's Lua file as `shrike node run-lua FILE` would: nodes of these
// tests use the test binary as their Lua runner (withLuaRunner).
const luaRunnerEnv = "SHRIKE_SERVER_TEST_LUA"

func init() {
	if os.Getenv(luaRunnerEnv) == "1" {
		os.Exit(scripts.RunTaskFile(os.Args[len(os.Args)-1]))
	}
}

func withLuaRunner(cfg *node.Config) { cfg.LuaRunner = []string{os.Args[0]} }

func luaTask(name, src string, deps ...string) api.TaskSpec {
	return api.TaskSpec{Name: name, Lua: src, DependsOn: deps, Resources: api.Resources{CPU: 1}, MaxAttempts: 1,
		Env: map[string]string{luaRunnerEnv: "1"}}
}

func shellTask(name, script string, deps ...string) api.TaskSpec {
	return api.TaskSpec{Name: name, Script: script, DependsOn: deps, Resources: api.Resources{CPU: 1}, MaxAttempts: 1}
}

// wantResults checks a job's results, by task name, as compact JSON.
func wantResults(t *testing.T, srv *Server, p rest.Principal, id int64, want map[string]string) {
	t.Helper()
	got, err := srv.JobResults(context.Background(), p, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Results) != len(want) {
		t.Errorf("job %d results %s, want %v", id, got.Results, want)
	}
	for name, w := range want {
		if string(got.Results[name]) != w {
			t.Errorf("job %d task %s result %s, want %s", id, name, got.Results[name], w)
		}
	}
}

// TestResultsChain: a Lua task's table reaches a Lua dependent as the
// results table and a shell dependent as the $SHRIKE_PARENT_RESULTS file;
// every result is kept, and a task without one says so. The results
// survive a server restart, both for a job that is over and for one whose
// dependent starts only after the restart (its parent's result is
// reloaded and handed to it).
func TestResultsChain(t *testing.T) {
	cfg := TestConfig(t.TempDir())
	srv, stop := runServer(t, cfg)
	startNodeWith(t, srv, "n1", withLuaRunner)
	waitReady(t, srv, "n1")
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()

	chain := submitAs(t, srv, admin, api.JobSpec{Name: "chain", Tasks: []api.TaskSpec{
		luaTask("a", `return {n = 21, words = {"x", "y"}}`),
		luaTask("lua", `return {double = results.a.n * 2, first = results.a.words[1]}`, "a"),
		shellTask("sh", `sed 's/.*"n":\([0-9]*\).*/\1/' "$SHRIKE_PARENT_RESULTS" > "$SHRIKE_RESULT"`, "a"),
		shellTask("none", `echo no result`, "lua", "sh"),
	}})
	if job := waitJobDone(t, srv, admin, chain); job.State != api.JobFinished {
		t.Fatalf("chain: %s %+v", job.State, job.Tasks)
	}
	want := map[string]string{"a": `{"n":21,"words":["x","y"]}`, "lua": `{"double":42,"first":"x"}`, "sh": `21`}
	wantResults(t, srv, admin, chain, want)
	if _, err := srv.TaskResult(ctx, admin, chain, "none"); !api.IsCode(err, api.CodeNotFound) || !strings.Contains(err.Error(), "finished without one") {
		t.Errorf("task none: %v", err)
	}
	if r, err := srv.TaskResult(ctx, admin, chain, "lua"); err != nil || string(r) != want["lua"] {
		t.Errorf("task lua: %s, %v", r, err)
	}
	other := rest.Principal{Name: "eve", Role: api.RoleUser}
	if _, err := srv.JobResults(ctx, other, chain); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("another user's job: %v", err)
	}

	// b needs 4 CPUs: it waits until a node that big joins, after the restart.
	big := luaTask("b", `return results.a .. "!"`, "a")
	big.Resources.CPU = 4
	waiting := submitAs(t, srv, admin, api.JobSpec{Name: "waiting", Tasks: []api.TaskSpec{luaTask("a", `return "from before"`), big}})
	waitUntil(t, 30*time.Second, "a finished, b waiting", func() bool {
		job, err := srv.GetJob(ctx, admin, waiting)
		return err == nil && job.Tasks[0].State == api.TaskFinished && job.Tasks[0].HasResult && len(job.Tasks[1].WaitingReasons) > 0
	})
	stop()

	srv2, _ := runServer(t, cfg)
	wantResults(t, srv2, admin, chain, want)
	job, err := srv2.GetJob(ctx, admin, chain)
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range job.Tasks {
		if _, has := want[tk.Name]; tk.HasResult != has {
			t.Errorf("after the restart, task %s has_result %v", tk.Name, tk.HasResult)
		}
	}
	startNodeWith(t, srv2, "big", func(c *node.Config) { withLuaRunner(c); c.CPUs, c.Slots = 4, 4 })
	if job := waitJobDone(t, srv2, admin, waiting); job.State != api.JobFinished {
		t.Fatalf("waiting: %s %+v", job.State, job.Tasks)
	}
	wantResults(t, srv2, admin, waiting, map[string]string{"a": `"from before"`, "b": `"from before!"`})
}

// TestRetriedResultAndServerLog: a task that fails once and then succeeds
// has its finishing attempt's result, and the job's server log tells the
// story: submission, placements, the retry with its reason and delay, the
// end.
func TestRetriedResultAndServerLog(t *testing.T) {
	srv := policyServer(t, "n1")
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	flaky := shellTask("flaky", `echo "attempt $SHRIKE_ATTEMPT" > "$SHRIKE_RESULT"; [ "$SHRIKE_ATTEMPT" -ge 2 ]`)
	flaky.MaxAttempts = 2
	flaky.RetryDelay = api.Duration(300 * time.Millisecond)
	id := submitAs(t, srv, admin, api.JobSpec{Name: "retry", Priority: api.PriorityNormal, Tasks: []api.TaskSpec{flaky}})
	if job := waitJobDone(t, srv, admin, id); job.State != api.JobFinished || job.Tasks[0].Attempt != 2 {
		t.Fatalf("job %s, attempt %d", job.State, job.Tasks[0].Attempt)
	}
	wantResults(t, srv, admin, id, map[string]string{"flaky": `"attempt 2"`})

	var lines []api.ServerLogLine
	waitUntil(t, 10*time.Second, "the job's end in its server log", func() bool {
		var err error
		lines, err = srv.JobServerLogs(ctx, admin, id, 0)
		return err == nil && len(lines) > 0 && lines[len(lines)-1].Message == "job FINISHED"
	})
	var text []string
	for _, l := range lines {
		text = append(text, l.Task+"#"+strconv.Itoa(l.Attempt)+" "+l.Message)
	}
	wantInOrder := []string{
		"#0 submitted by admin: 1 task, queue default, priority normal",
		"flaky#1 placed on node n1 (attempt 1)",
		"flaky#1 PENDING: exit code 1; retrying (attempt 2 of 2); the retry waits until ",
		"flaky#2 placed on node n1 (attempt 2)",
		"flaky#2 FINISHED on node n1",
		"#0 job FINISHED",
	}
	i := 0
	for _, l := range text {
		if i < len(wantInOrder) && strings.HasPrefix(l, wantInOrder[i]) {
			i++
		}
	}
	if i < len(wantInOrder) {
		t.Errorf("server log lacks %q (in order); it is:\n%s", wantInOrder[i], strings.Join(text, "\n"))
	}
	if later, _ := srv.JobServerLogs(ctx, admin, id, lines[1].Seq); len(later) != len(lines)-2 {
		t.Errorf("after the second line: %d lines, want %d", len(later), len(lines)-2)
	}
	if _, err := srv.JobServerLogs(ctx, rest.Principal{Name: "eve", Role: api.RoleUser}, id, 0); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("another user's job: %v", err)
	}
}

// TestServerLogWaitingAndControls: a task that cannot be placed gets one
// "waiting" line however many cycles pass, and pause, resume, priority
// changes and the kill are written with who did them.
func TestServerLogWaitingAndControls(t *testing.T) {
	srv := policyServer(t, "n1")
	admin := rest.Principal{Name: "admin", Role: api.RoleAdmin}
	ctx := context.Background()
	huge := shellTask("huge", "true")
	huge.Resources.CPU = 64
	id := submitAs(t, srv, admin, api.JobSpec{Name: "w", Tasks: []api.TaskSpec{huge}})
	waitUntil(t, 10*time.Second, "a waiting reason", func() bool {
		job, err := srv.GetJob(ctx, admin, id)
		return err == nil && len(job.Tasks[0].WaitingReasons) > 0
	})
	for range 5 {
		srv.cycle()
	}
	if _, err := srv.PauseJob(ctx, admin, id); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.ResumeJob(ctx, admin, id); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SetJobPriority(ctx, admin, id, api.PriorityLow); err != nil {
		t.Fatal(err)
	}
	if err := srv.KillJob(ctx, admin, id); err != nil {
		t.Fatal(err)
	}
	var all string
	waitUntil(t, 10*time.Second, "the kill in the server log", func() bool {
		lines, err := srv.JobServerLogs(ctx, admin, id, 0)
		if err != nil {
			return false
		}
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(l.Message + "\n")
		}
		all = b.String()
		return strings.Contains(all, "job KILLED")
	})
	if n := strings.Count(all, "waiting: "); n != 1 {
		t.Errorf("%d waiting lines, want 1:\n%s", n, all)
	}
	for _, want := range []string{"waiting: 1 node: ", "paused by admin", "resumed by admin", "priority changed to low by admin",
		"killed by admin", "KILLED: killed by admin", "job KILLED"} {
		if !strings.Contains(all, want) {
			t.Errorf("server log lacks %q:\n%s", want, all)
		}
	}
}

// TestSplitStarts: a node's batch is cut so that no request carries more
// than maxStartResults of parents' results, and a start that carries more
// on its own is set apart.
func TestSplitStarts(t *testing.T) {
	start := func(id int64, mib float64) api.StartTask {
		st := api.StartTask{TaskRef: api.TaskRef{TaskID: id}}
		if mib > 0 {
			st.ParentResults = map[string]json.RawMessage{"p": json.RawMessage(strings.Repeat("1", int(mib*(1<<20))))}
		}
		return st
	}
	ids := func(sts []api.StartTask) []int64 {
		var out []int64
		for _, st := range sts {
			out = append(out, st.TaskID)
		}
		return out
	}
	parts, tooBig := splitStarts([]api.StartTask{start(1, 0), start(2, 4), start(3, 3), start(4, 7), start(5, 0.001)})
	var got [][]int64
	for _, p := range parts {
		got = append(got, ids(p))
	}
	if fmt.Sprint(got) != "[[1 2] [3 5]]" || fmt.Sprint(ids(tooBig)) != "[4]" {
		t.Errorf("parts %v, too big %v; want [[1 2] [3 5]] and [4]", got, ids(tooBig))
	}
	if parts, tooBig := splitStarts([]api.StartTask{start(1, 0), start(2, 0)}); len(parts) != 1 || len(parts[0]) != 2 || tooBig != nil {
		t.Errorf("a batch without results: %v, %v", parts, tooBig)
	}
}

func TestConfigResultLimit(t *testing.T) {
	for _, limit := range []int64{0, -1, MaxResultLimit + 1} {
		c := TestConfig(t.TempDir())
		c.ResultLimit = limit
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "result_limit") {
			t.Errorf("result_limit %d: %v", limit, err)
		}
	}
	c := TestConfig(t.TempDir())
	c.ResultLimit = MaxResultLimit
	if err := c.Validate(); err != nil {
		t.Errorf("result_limit %d: %v", MaxResultLimit, err)
	}
}
