package scripts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	lua "github.com/yuin/gopher-lua"
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
	return runTask(ctx, "task.lua", src, stdout, stderr)
}

func runTask(ctx context.Context, name, src string, stdout, stderr io.Writer) error {
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
	L.SetContext(ctx)

	fn, err := L.Load(strings.NewReader(src), name)
	if err == nil {
		L.Push(fn)
		err = L.PCall(0, lua.MultRet, nil)
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) {
		return &TaskError{Message: apiErr.Object.String(), Traceback: apiErr.StackTrace}
	}
	return &TaskError{Message: err.Error()}
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
// to stderr).
func RunTaskFile(path string) int {
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lua: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	err = runTask(ctx, path, string(src), os.Stdout, os.Stderr)
	if err == nil {
		return 0
	}
	var te *TaskError
	if errors.As(err, &te) && te.Traceback != "" {
		fmt.Fprintf(os.Stderr, "lua: %s\n%s\n", te.Message, te.Traceback)
	} else {
		fmt.Fprintf(os.Stderr, "lua: %v\n", err)
	}
	return 1
}
