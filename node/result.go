package node

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/shrike-grid/shrike/api"
)

// Files of the result hand-over, in the attempt's working directory
// (docs/jobs.md, "Results"): the task writes resultFile ($SHRIKE_RESULT;
// the Lua runner writes a Lua task's return value there), reads
// parentsFile ($SHRIKE_PARENT_RESULTS), and the Lua runner explains a
// failure in errorFile.
const (
	resultFile  = ".shrike-result"
	parentsFile = ".shrike-parent-results.json"
	errorFile   = ".shrike-error"
)

// maxErrorText bounds the Lua runner's error message kept as the
// attempt's error.
const maxErrorText = 2 << 10

// resultEnv returns the variables that name the hand-over files, after
// writing the parents' results into dir when there are any (only then is
// $SHRIKE_PARENT_RESULTS set: the scratch of a task without them holds
// nothing of Shrike's).
func resultEnv(t api.StartTask, dir string) ([]string, error) {
	env := []string{
		api.EnvResult + "=" + filepath.Join(dir, resultFile),
		api.EnvResultError + "=" + filepath.Join(dir, errorFile),
	}
	if len(t.ParentResults) == 0 {
		return env, nil
	}
	data, err := json.Marshal(t.ParentResults)
	if err != nil {
		return nil, fmt.Errorf("parent results: %w", err)
	}
	path := filepath.Join(dir, parentsFile)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, err
	}
	return append(env, api.EnvParentResults+"="+path), nil
}

// collectResult reads the result of an attempt that succeeded, if the
// task left one; a result over the limit, or one that cannot be read,
// fails the attempt.
func collectResult(at *attempt, res *api.TaskResult) {
	limit := at.spec.ResultLimit
	if limit <= 0 {
		limit = api.DefaultResultLimit
	}
	result, err := readResultFile(filepath.Join(at.dir, resultFile), limit)
	if err != nil {
		res.Outcome, res.Error = api.OutcomeFailed, err.Error()
		appendLog(at.logPath, "shrike: %v\n", err)
		return
	}
	res.Result = result
}

// readResultFile reads a result file: nil when there is none or it is empty;
// its content when it is JSON (compacted); else its text, without the
// last line end, as a JSON string. Past limit bytes, as read or as
// stored, it is an error.
func readResultFile(path string, limit int64) (json.RawMessage, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the result: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > limit {
		return nil, overLimit(st.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the result: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, overLimit(int64(len(data)), limit)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var out []byte
	if json.Valid(data) {
		var b bytes.Buffer
		if err := json.Compact(&b, data); err != nil {
			return nil, fmt.Errorf("cannot read the result: %w", err)
		}
		out = b.Bytes()
	} else {
		text := bytes.TrimSuffix(data, []byte("\n"))
		text = bytes.TrimSuffix(text, []byte("\r"))
		if out, err = json.Marshal(string(text)); err != nil {
			return nil, fmt.Errorf("cannot read the result: %w", err)
		}
	}
	if int64(len(out)) > limit {
		return nil, overLimit(int64(len(out)), limit)
	}
	return out, nil
}

func overLimit(size, limit int64) error {
	return fmt.Errorf("result is %s, over the limit of %s", api.HumanBytes(size), api.HumanBytes(limit))
}

// luaError returns the Lua runner's explanation of a failed Lua task, or "".
func luaError(at *attempt) string {
	if at.spec.Lua == "" {
		return ""
	}
	f, err := os.Open(filepath.Join(at.dir, errorFile))
	if err != nil {
		return ""
	}
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, maxErrorText))
	return string(bytes.TrimSpace(data))
}
