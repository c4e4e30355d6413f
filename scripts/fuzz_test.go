package scripts

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"
)

var allReasons = []string{
	ReasonFalse, ReasonNoResult, ReasonBadResult, ReasonError, ReasonTimeout,
	ReasonInstructions, ReasonMemory, ReasonStack, ReasonCancelled, ReasonInternal,
}

// FuzzEvaluate feeds arbitrary scripts to the engine: it must never
// crash, hang or leak goroutines, and every verdict must keep the
// contract.
func FuzzEvaluate(f *testing.F) {
	for _, seed := range []string{
		`return true`, `return false`, `selected = true`, `return 1`, `return nil`, ``,
		`error("x")`, `error({})`, `return node.cpus > 4 and sel.has_tag("gpu")`,
		`return ("a" .. 1 .. node.name):upper()`, `return #args, ...`,
		`while true do end`, `local function f() return 1 + f() end return f()`,
		`local s = "x" for i = 1, 40 do s = s .. s end`, `return string.rep("x", 1e9)`,
		`local t = {} while true do t[#t + 1] = t end`,
		`return string.find(string.rep("a", 2000), ".-.-.-b")`,
		`return string.gsub("hello", "(l)(l)", "%2%1")`, `return string.format("%5.2f|%s|%q", 1.5, "x", "y")`,
		`for k, v in pairs(node) do end for i, v in ipairs(node.tags) do end return next(node.facts)`,
		`node.cpus = 1`, `setmetatable(node, {})`, `return getmetatable("").__index`,
		`return io.open("/etc/passwd")`, `return os.execute("true")`, `return load("return 1")`,
		`local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x`,
		`return unpack({1, 2, 3}, -5, 5)`, `return table.concat({1, 2, "x"}, ", ")`,
		`return select(-1, 1, 2)`, `return tostring(nil) .. tostring(0/0)`, `return math.floor(-0.5)`,
		`goto l ::l:: return true`, `local a <const> = 1`, `return 0x10, 1e309, -1e309`,
		`return string.byte("abc", -100, 100)`, `return ("x"):rep(3, ",")`, `return os.date("!*t", 0).year`,
	} {
		f.Add(seed, "arg")
	}
	e := newTestEngine(f, Options{
		Timeout:         20 * time.Millisecond,
		MaxInstructions: 100_000,
		MaxStringBytes:  64 << 10,
		MaxAllocBytes:   1 << 20,
	})
	f.Fuzz(func(t *testing.T, src, arg string) {
		before := runtime.NumGoroutine()
		s, err := Compile("fuzz.lua", src)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile error %v is a %T, want *CompileError", err, err)
			}
			return
		}
		start := time.Now()
		v := e.Evaluate(context.Background(), s, gpuNode(), testVars, []string{arg})
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("evaluation took %s", took)
		}
		switch {
		case v.Selected && (v.Reason != "" || v.Err != ""):
			t.Errorf("selected verdict with a reason: %+v", v)
		case !v.Selected && !slices.Contains(allReasons, v.Reason):
			t.Errorf("unknown reason in %+v", v)
		case v.Reason == ReasonInternal:
			t.Errorf("internal error: %+v", v)
		case len(v.Err) > maxErrLen+len("…"):
			t.Errorf("Err is %d bytes", len(v.Err))
		}
		if after := runtime.NumGoroutine(); after > before+2 {
			t.Errorf("goroutines: %d before, %d after", before, after)
		}
	})
}
