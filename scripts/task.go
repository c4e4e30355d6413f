package scripts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"

	"github.com/shrike-grid/shrike/api"
)

// TaskError is a Lua task that failed: a syntax or runtime error, with the
// Lua traceback when there is one.
type TaskError struct {
	Message   string
	Traceback string
}

func (e *TaskError) Error() string { return e.Message }

// taskLibs are the libraries a task script gets. A task is the user's own
// code on the node, so os and io are included.
var taskLibs = []struct {
	name string
	open lua.LGFunction
}{
	{lua.BaseLibName, lua.OpenBase},
	{lua.TabLibName, lua.OpenTable},
	{lua.StringLibName, lua.OpenString},
	{lua.MathLibName, lua.OpenMath},
	{lua.OsLibName, lua.OpenOs},
	{lua.IoLibName, lua.OpenIo},
}

// RunTask runs the Lua task script src. print, io.write and
// io.stdout:write write to stdout, io.stderr:write to stderr (other file
// operations on those two handles are not available); cancelling ctx stops
// the script. A Lua error is returned as a
// *TaskError, a cancellation as ctx.Err(). Scripts may call os.exit, which
// ends the whole process: run untrusted or long-lived tasks in a child
// process (RunTaskFile).
func RunTask(ctx context.Context, src string, stdout, stderr io.Writer) error {
	_, err := runTask(ctx, "task.lua", src, nil, stdout, stderr)
	return err
}

// RunTaskResult is RunTask with results: the script sees parents (task
// name → result) as the global table `results`, and its return value is
// returned as JSON (see EncodeResult; nil for none). A return value that
// cannot be encoded is a *ResultError.
func RunTaskResult(ctx context.Context, src string, parents map[string]json.RawMessage, stdout, stderr io.Writer) (json.RawMessage, error) {
	return runTask(ctx, "task.lua", src, parents, stdout, stderr)
}

func runTask(ctx context.Context, name, src string, parents map[string]json.RawMessage, stdout, stderr io.Writer) (json.RawMessage, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range taskLibs {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	L.SetGlobal("print", L.NewFunction(printTo(stdout)))
	if iolib, ok := L.GetGlobal(lua.IoLibName).(*lua.LTable); ok {
		iolib.RawSetString("write", L.NewFunction(writeTo(stdout, 1)))
		iolib.RawSetString("stdout", streamTable(L, stdout))
		iolib.RawSetString("stderr", streamTable(L, stderr))
	}
	results, err := resultsTable(L, parents)
	if err != nil {
		return nil, fmt.Errorf("parent results: %w", err)
	}
	L.SetGlobal("results", results)
	L.SetContext(ctx)

	fn, err := L.Load(strings.NewReader(src), name)
	if err == nil {
		L.Push(fn)
		err = L.PCall(0, 1, nil)
	}
	if err == nil {
		return EncodeResult(L.Get(-1))
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		return nil, &TaskError{Message: apiErr.Object.String(), Traceback: apiErr.StackTrace}
	}
	return nil, &TaskError{Message: err.Error()}
}

// printTo is Lua's print writing to w: arguments converted with tostring,
// separated by tabs, ending with a newline, in one write.
func printTo(w io.Writer) lua.LGFunction {
	return func(L *lua.LState) int {
		var b strings.Builder
		top := L.GetTop()
		for i := 1; i <= top; i++ {
			if i > 1 {
				b.WriteByte('\t')
			}
			b.WriteString(L.ToStringMeta(L.Get(i)).String())
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			L.RaiseError("print: %v", err)
		}
		return 0
	}
}

// streamTable stands in for io.stdout or io.stderr: a table whose write
// method (file:write(...)) writes to w and returns the table, with no-op
// flush and setvbuf.
func streamTable(L *lua.LState, w io.Writer) *lua.LTable {
	t := L.NewTable()
	write := writeTo(w, 2)
	t.RawSetString("write", L.NewFunction(func(L *lua.LState) int {
		write(L)
		L.Push(L.Get(1))
		return 1
	}))
	noop := L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LTrue)
		return 1
	})
	t.RawSetString("flush", noop)
	t.RawSetString("setvbuf", noop)
	return t
}

// writeTo is io.write writing to w: its arguments from index first on,
// strings and numbers, no separators.
func writeTo(w io.Writer, first int) lua.LGFunction {
	return func(L *lua.LState) int {
		var b strings.Builder
		top := L.GetTop()
		for i := first; i <= top; i++ {
			v := L.Get(i)
			switch v.Type() {
			case lua.LTString, lua.LTNumber:
				b.WriteString(v.String())
			default:
				L.ArgError(i, "string expected, got "+v.Type().String())
			}
		}
		if _, err := io.WriteString(w, b.String()); err != nil {
			L.RaiseError("io.write: %v", err)
		}
		return 0
	}
}

// RunTaskFile runs the Lua task in the file at path with the process's
// stdout and stderr, stopping it on SIGTERM or SIGINT. It returns the exit
// code for `shrike node run-lua FILE`: 0 on success, 1 if the file cannot
// be read, the script fails or it was interrupted (the message is written
// to stderr, and to the file named by $SHRIKE_RESULT_ERROR if set).
//
// Results: the parents' results are read from the file named by
// $SHRIKE_PARENT_RESULTS (the global `results`; empty without it), and
// the script's return value, when not nil, is written as JSON to the file
// named by $SHRIKE_RESULT.
func RunTaskFile(path string) int {
	err := runTaskFile(path)
	if err == nil {
		return 0
	}
	msg := "lua: " + err.Error()
	var te *TaskError
	if errors.As(err, &te) && te.Traceback != "" {
		fmt.Fprintf(os.Stderr, "%s\n%s\n", msg, te.Traceback)
	} else {
		fmt.Fprintln(os.Stderr, msg)
	}
	if errPath := os.Getenv(api.EnvResultError); errPath != "" {
		_ = os.WriteFile(errPath, []byte(msg), 0o600)
	}
	return 1
}

func runTaskFile(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var parents map[string]json.RawMessage
	if p := os.Getenv(api.EnvParentResults); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("parent results: %w", err)
		}
		if err := json.Unmarshal(data, &parents); err != nil {
			return fmt.Errorf("parent results %s: %w", p, err)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	result, err := runTask(ctx, path, string(src), parents, os.Stdout, os.Stderr)
	if err != nil || result == nil {
		return err
	}
	out := os.Getenv(api.EnvResult)
	if out == "" {
		return nil // run by hand: nowhere to put it
	}
	if err := os.WriteFile(out, result, 0o600); err != nil {
		return fmt.Errorf("writing the result: %w", err)
	}
	return nil
}
