package scripts

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
	"github.com/yuin/gopher-lua/parse"
)

// MaxSourceBytes is the largest selection script Compile accepts.
const MaxSourceBytes = 64 << 10

// Script is a compiled selection script. It is immutable and may be
// evaluated by any number of goroutines at once.
type Script struct {
	// Name is the chunk name used in error messages ("gpu.lua:3: ...").
	Name string
	// Digest is the hex SHA-256 of Source: two scripts with the same
	// digest behave the same.
	Digest string
	Source string

	proto *lua.FunctionProto
}

// CompileError is a selection script that does not compile: a syntax
// error, or a script too large.
type CompileError struct {
	Script string
	Line   int // 0 when the error has no line
	Msg    string
}

func (e *CompileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Script, e.Line, e.Msg)
	}
	return e.Script + ": " + e.Msg
}

// Compile parses and compiles a selection script. Syntax errors are
// returned as a *CompileError with the line.
//
// Besides compiling, Compile rewrites every `a .. b` into a call of a
// hidden, length-checked concatenation (see guard.go), so that a script
// cannot build a string larger than the engine allows.
func Compile(name, src string) (*Script, error) {
	if len(src) > MaxSourceBytes {
		return nil, &CompileError{Script: name, Msg: fmt.Sprintf("script is %d bytes, more than the %d allowed", len(src), MaxSourceBytes)}
	}
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) {
			msg := pe.Message
			if pe.Token != "" {
				msg += " near '" + pe.Token + "'"
			}
			line := pe.Pos.Line
			if line < 0 { // end of file
				line = strings.Count(src, "\n") + 1
			}
			return nil, &CompileError{Script: name, Line: line, Msg: msg}
		}
		return nil, &CompileError{Script: name, Msg: err.Error()}
	}
	wrapped, err := guardChunk(chunk)
	if err != nil {
		return nil, &CompileError{Script: name, Msg: err.Error()}
	}
	proto, err := compileChunk(wrapped, name)
	if err != nil {
		var ce *lua.CompileError
		if errors.As(err, &ce) {
			return nil, &CompileError{Script: name, Line: ce.Line, Msg: ce.Message}
		}
		return nil, &CompileError{Script: name, Msg: err.Error()}
	}
	return &Script{Name: name, Digest: digestOf(src), Source: src, proto: proto}, nil
}

// compileChunk is lua.Compile with its panics (which it re-raises for
// anything but its own errors) turned into errors.
func compileChunk(chunk []ast.Stmt, name string) (proto *lua.FunctionProto, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot compile: %v", r)
		}
	}()
	return lua.Compile(chunk, name)
}

// Verdict is the outcome of one selection script on one node. A script
// that does not return a boolean — an error, another type, a budget
// exceeded — is a verdict too: not selected, with the reason.
type Verdict struct {
	Selected bool `json:"selected"`
	// Reason says why the node was not selected: one of the Reason
	// constants, so that verdicts can be counted by reason. Empty when
	// Selected.
	Reason string `json:"reason,omitempty"`
	// Err is the detail: the Lua error with script name and line, the
	// budget that ran out, or what the script returned instead of a
	// boolean. At most maxErrLen bytes.
	Err string `json:"err,omitempty"`
}

// Reasons a node is not selected. They are stable: callers may count and
// compare them.
const (
	ReasonFalse        = "script returned false"
	ReasonNoResult     = "script returned nothing"
	ReasonBadResult    = "script returned a non-boolean"
	ReasonError        = "script error"
	ReasonTimeout      = "time budget exceeded"
	ReasonInstructions = "instruction budget exceeded"
	ReasonMemory       = "memory budget exceeded"
	ReasonStack        = "stack limit exceeded"
	ReasonCancelled    = "evaluation cancelled"
	ReasonInternal     = "internal error"
)

const maxErrLen = 512

// truncate cuts s to at most n bytes, at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
