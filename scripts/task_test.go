package scripts

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunTaskOutput(t *testing.T) {
	var out, errOut bytes.Buffer
	src := `
print("hello", 42, true)
io.write("a", 1, "\n")
io.stdout:write("b"):write("c\n")
io.stderr:write("oops\n")
local t = {3, 1, 2}
table.sort(t)
print(table.concat(t, ","), string.upper("x"), math.max(1, 5), type(os.time()))
`
	if err := RunTask(context.Background(), src, &out, &errOut); err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	want := "hello\t42\ttrue\na1\nbc\n1,2,3\tX\t5\tnumber\n"
	if out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}
	if errOut.String() != "oops\n" {
		t.Errorf("stderr = %q, want %q", errOut.String(), "oops\n")
	}
}

func TestRunTaskErrors(t *testing.T) {
	tests := map[string]struct {
		src  string
		want string
	}{
		"runtime error": {`error("boom")`, "boom"},
		"syntax error":  {`print(`, "task.lua"},
		"nil call":      {`local x = nil; x()`, "attempt to call"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := RunTask(context.Background(), tc.src, &out, &out)
			var te *TaskError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v (%T), want *TaskError", err, err)
			}
			if !strings.Contains(te.Message, tc.want) {
				t.Errorf("message = %q, want it to contain %q", te.Message, tc.want)
			}
		})
	}
}

func TestRunTaskCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	err := RunTask(ctx, `while true do end`, &out, &out)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 20*time.Second { // catches a hang, not a slow machine
		t.Errorf("cancellation took %s", d)
	}
}

func TestRunTaskFileMissing(t *testing.T) {
	if code := RunTaskFile(filepath.Join(t.TempDir(), "nope.lua")); code != 1 {
		t.Errorf("exit code = %d, want 1", code)
	}
}

func TestRunTaskFileOK(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ok.lua")
	if err := os.WriteFile(path, []byte(`local x = 1 + 1`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := RunTaskFile(path); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
}
