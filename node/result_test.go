package node

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shrike-grid/shrike/api"
)

// TestTaskResults runs tasks that produce results, through a real agent and
// real child processes (the Lua ones in this test binary as the runner).
func TestTaskResults(t *testing.T) {
	t.Parallel()
	s := startNATS(t, nil)
	fs := newFakeServer(t, s.ClientURL())
	cfg := testConfig(t, s.ClientURL(), "results")
	startAgent(t, cfg)
	waitRegistered(t, fs, 1)

	parents := map[string]json.RawMessage{
		"a": json.RawMessage(`{"n":3,"names":["x","y"]}`),
		"b": json.RawMessage(`"text"`),
	}
	lua := func(id int64, src string) api.StartTask {
		tk := task(id, "")
		tk.Script, tk.Lua = "", src
		tk.Env = map[string]string{"SHRIKE_TEST_LUA": "1"}
		return tk
	}
	withParents := func(tk api.StartTask) api.StartTask {
		tk.ParentResults = parents
		return tk
	}
	withLimit := func(tk api.StartTask, limit int64) api.StartTask {
		tk.ResultLimit = limit
		return tk
	}

	tests := map[string]struct {
		task    api.StartTask
		outcome api.Outcome
		result  string // JSON; "" for none
		err     string // part of the attempt's error
	}{
		"lua number":      {task: lua(1, `return 42`), outcome: api.OutcomeSucceeded, result: `42`},
		"lua float":       {task: lua(2, `return 1.5`), outcome: api.OutcomeSucceeded, result: `1.5`},
		"lua string":      {task: lua(3, `return "hi \"there\""`), outcome: api.OutcomeSucceeded, result: `"hi \"there\""`},
		"lua boolean":     {task: lua(4, `return false`), outcome: api.OutcomeSucceeded, result: `false`},
		"lua nil":         {task: lua(5, `return nil`), outcome: api.OutcomeSucceeded},
		"lua no return":   {task: lua(6, `local x = 1`), outcome: api.OutcomeSucceeded},
		"lua array":       {task: lua(7, `return {1, "two", {3}}`), outcome: api.OutcomeSucceeded, result: `[1,"two",[3]]`},
		"lua object":      {task: lua(8, `return {b = true, a = {x = 1}}`), outcome: api.OutcomeSucceeded, result: `{"a":{"x":1},"b":true}`},
		"lua empty table": {task: lua(9, `return {}`), outcome: api.OutcomeSucceeded, result: `{}`},
		"lua function": {task: lua(10, `return {f = print}`), outcome: api.OutcomeFailed,
			err: "result.f: a function has no JSON form"},
		"lua mixed keys": {task: lua(11, `return {1, 2, x = 3}`), outcome: api.OutcomeFailed,
			err: "mixes string and number keys"},
		"lua sparse array": {task: lua(12, `return {[1] = 1, [3] = 3}`), outcome: api.OutcomeFailed,
			err: "not exactly 1..n"},
		"lua cycle": {task: lua(13, `local t = {} t.self = t return t`), outcome: api.OutcomeFailed,
			err: "result.self: the table contains itself"},
		"lua error": {task: lua(14, `error("boom")`), outcome: api.OutcomeFailed, err: "boom"},
		"lua parents": {task: withParents(lua(15, `return {n = results.a.n * 2, first = results.a.names[1], b = results.b}`)),
			outcome: api.OutcomeSucceeded, result: `{"b":"text","first":"x","n":6}`},
		"lua no parents": {task: lua(16, `return type(results)`), outcome: api.OutcomeSucceeded, result: `"table"`},
		"lua over limit": {task: withLimit(lua(17, `return string.rep("x", 3000)`), 1024), outcome: api.OutcomeFailed,
			err: "result is 2.9 KiB, over the limit of 1.0 KiB"},
		"file json":       {task: task(20, `echo '{"a": [1, 2]}' > "$SHRIKE_RESULT"`), outcome: api.OutcomeSucceeded, result: `{"a":[1,2]}`},
		"file number":     {task: task(21, `echo 42 > "$SHRIKE_RESULT"`), outcome: api.OutcomeSucceeded, result: `42`},
		"file text":       {task: task(22, `echo done > "$SHRIKE_RESULT"`), outcome: api.OutcomeSucceeded, result: `"done"`},
		"file multi-line": {task: task(23, `printf 'a\nb\n' > "$SHRIKE_RESULT"`), outcome: api.OutcomeSucceeded, result: `"a\nb"`},
		"file empty":      {task: task(24, `: > "$SHRIKE_RESULT"`), outcome: api.OutcomeSucceeded},
		"no file":         {task: task(25, `echo hello`), outcome: api.OutcomeSucceeded},
		"file over limit": {task: withLimit(task(26, `head -c 3355444 /dev/zero | tr '\0' a > "$SHRIKE_RESULT"`), 1<<20),
			outcome: api.OutcomeFailed, err: "result is 3.2 MiB, over the limit of 1.0 MiB"},
		"text over limit once quoted": {task: withLimit(task(27, `printf '%s' "$(head -c 1000 /dev/zero | tr '\0' '"')" > "$SHRIKE_RESULT"`), 1500),
			outcome: api.OutcomeFailed, err: "over the limit of 1.5 KiB"},
		"failed task keeps no result": {task: task(28, `echo 1 > "$SHRIKE_RESULT"; exit 2`), outcome: api.OutcomeFailed},
		"file parents": {task: withParents(task(29, `cp "$SHRIKE_PARENT_RESULTS" "$SHRIKE_RESULT"`)),
			outcome: api.OutcomeSucceeded, result: `{"a":{"n":3,"names":["x","y"]},"b":"text"}`},
		"file no parents": {task: task(30, `echo "${SHRIKE_PARENT_RESULTS-unset}" > "$SHRIKE_RESULT"`), outcome: api.OutcomeSucceeded, result: `"unset"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fs.start(t, "results", tc.task)
			res := fs.waitResult(t, tc.task.Key())
			if res.Outcome != tc.outcome {
				t.Errorf("outcome %s (exit %d, error %q), want %s", res.Outcome, res.ExitCode, res.Error, tc.outcome)
			}
			if string(res.Result) != tc.result {
				t.Errorf("result %s, want %q", res.Result, tc.result)
			}
			if tc.err != "" && !strings.Contains(res.Error, tc.err) {
				t.Errorf("error %q does not contain %q", res.Error, tc.err)
			}
		})
	}
}

// TestOutboxKeepsResults: a result survives the outbox's reopening (an
// agent restart), and batches carry at most maxReportResults bytes of
// results, at least one result each.
func TestOutboxKeepsResults(t *testing.T) {
	dir := t.TempDir()
	o, err := openOutbox(dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	big := json.RawMessage(`"` + strings.Repeat("x", 3<<20) + `"`)
	for id := int64(1); id <= 3; id++ {
		r := result(id)
		r.Result = big
		if err := o.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if b := o.batch(maxReportBatch); len(b) != 1 {
		t.Errorf("a batch of 3 MiB results holds %d, want 1", len(b))
	}
	o.close()
	o, err = openOutbox(dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	got := o.batch(maxReportBatch)
	if len(got) != 1 || got[0].TaskID != 1 || string(got[0].Result) != string(big) {
		t.Errorf("after reopening: %d results, first %d with %d bytes of result", len(got), got[0].TaskID, len(got[0].Result))
	}
	if ids := o.Refs(); len(ids) != 3 {
		t.Errorf("pending after reopening: %v", ids)
	}
}
