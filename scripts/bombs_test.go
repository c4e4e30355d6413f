package scripts

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// Each bomb ends as a clean verdict (false, with the reason), within the
// budget, and the process goes on.
func TestBombs(t *testing.T) {
	// Which budget runs out first depends on the machine (and -race): a
	// runaway loop may end on instructions or on time.
	cpu := []string{ReasonInstructions, ReasonTimeout}
	mem := []string{ReasonMemory, ReasonTimeout}
	anyBudget := []string{ReasonInstructions, ReasonTimeout, ReasonMemory, ReasonStack}
	stack := []string{ReasonStack}
	script := []string{ReasonError}
	tests := map[string]struct {
		src     string
		reasons []string
		err     string
	}{
		"infinite loop":            {`while true do end`, cpu, "instruction budget"},
		"repeat forever":           {`repeat local x = 1 until false`, cpu, "instruction budget"},
		"pcall swallowing":         {`while true do pcall(function() while true do end end) end`, cpu, "instruction budget"},
		"xpcall handler loops":     {`xpcall(function() while true do end end, function() while true do end end) return true`, cpu, ""},
		"tail recursion":           {`local function f() return f() end return f()`, cpu, ""},
		"deep recursion":           {`local function f(n) return 1 + f(n + 1) end return f(1)`, stack, "stack overflow"},
		"recursion through pcall":  {`local function f(n) if n == 0 then return end pcall(f, n - 1) pcall(f, n - 1) end f(60) return true`, cpu, ""},
		"__index recursion":        {`local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x`, stack, "stack overflow"},
		"__index loop":             {`local a = {} setmetatable(a, {__index = a}) return a.x`, script, ""},
		"__tostring recursion":     {`local t t = setmetatable({}, {__tostring = function(x) return tostring(x) end}) return tostring(t)`, stack, ""},
		"gsub callback recursion":  {`local function f(s) return (s:gsub(".", f)) end return f("ab")`, stack, ""},
		"string.rep":               {`local s = string.rep("x", 2^31) return true`, mem, "exceeds the 1048576-byte limit"},
		"string.rep method":        {`local s = ("xy"):rep(1e9) return true`, mem, "byte limit"},
		"string.rep many":          {`local t = {} for i = 1, 100 do t[i] = string.rep("x", 2^20 - i) end return true`, mem, "allocates more than 16777216 bytes"},
		"concat doubling":          {`local s = "x" for i = 1, 40 do s = s .. s end return true`, mem, "byte limit"},
		"concat kept":              {`local s = string.rep("x", 2^20 - 16) local t = {} for i = 1, 1e6 do t[i] = s .. i end return true`, mem, "allocates more than"},
		"concat pcall":             {`local s = "x" for i = 1, 40 do pcall(function() s = s .. s end) end return true`, mem, ""},
		"upper of big strings":     {`local s = string.rep("x", 2^20) local t = {} for i = 1, 100 do t[i] = s:upper() end return true`, mem, ""},
		"gsub expansion":           {`local s = string.rep("x", 2^18) return #s:gsub("x", "%0%0%0%0%0") > 0`, mem, ""},
		"gsub function expansion":  {`local s = string.rep("x", 2^18) return #s:gsub("x", function(c) return c:rep(8) end) > 0`, anyBudget, ""},
		"format width":             {`return string.format("%099999999d", 1)`, script, "invalid format"},
		"format many":              {`local s = string.rep("x", 2^19) return string.format(string.rep("%s", 10), s, s, s, s, s, s, s, s, s, s)`, mem, ""},
		"table.concat":             {`local s = string.rep("x", 2^19) local t = {} for i = 1, 100 do t[i] = s end return #table.concat(t) > 0`, mem, ""},
		"sparse index":             {`local t = {} t[2^26 - 1] = true return true`, mem, "allocates more than"},
		"sparse index nil":         {`local t = {} t[2^26 - 1] = nil return true`, mem, "allocates more than"},
		"sparse constructor":       {`local t = {[2^26 - 1] = true} return true`, mem, "allocates more than"},
		"sparse multi-assign":      {`local t, u = {}, {} t[1], u[2^26 - 1] = 1, 2 return true`, mem, "allocates more than"},
		"sparse table.insert":      {`local t = {} table.insert(t, 2^26 - 1, true) return true`, mem, "allocates more than"},
		"many sparse tables":       {`local all = {} for i = 1, 1e6 do local t = {} t[4096] = i all[i] = t end return true`, mem, "allocates more than"},
		"many sparse constructors": {`local all = {} for i = 1, 1e6 do all[i] = {[4096] = i} end return true`, mem, "allocates more than"},
		"table growth":             {`local t = {} local i = 0 while true do i = i + 1 t[i] = i end`, anyBudget, ""},
		"tables with fields":       {`local t = {} while true do t = {t} t.a = 1 end`, anyBudget, ""},
		"linked tables":            {`local x while true do x = {x, {}} end`, anyBudget, ""},
		"closures":                 {`local t = {} local i = 0 while true do i = i + 1 t[i] = function() return i end end`, anyBudget, ""},
		"table.insert at front":    {`local t = {} for i = 1, 1e6 do table.insert(t, 1, i) end return true`, anyBudget, ""},
		"unpack":                   {`return unpack({}, 1, 1e8)`, script, "too many results to unpack"},
		"string.byte":              {`return string.byte(string.rep("x", 1e6), 1, -1)`, stack, ""},
		"varargs":                  {`local function f(...) return f(1, ...) end return f()`, anyBudget, ""},
		"pattern backtracking":     {`return string.find(string.rep("a", 5000), ".-.-.-.-b") ~= nil`, cpu, ""},
		"match backtracking":       {`return string.match(string.rep("a", 3000), "(.*)(.*)(.*)b") ~= nil`, cpu, ""},
		"gmatch backtracking":      {`for w in string.gmatch(string.rep("a", 3000), "a*a*a*b") do end return true`, cpu, ""},
		"gsub backtracking":        {`return string.gsub(string.rep("a", 3000), "a-a-a-b", "") ~= nil`, cpu, ""},
		"hostname pattern":         {`return sel.hostname_matches(string.rep(".-", 50) .. "z")`, anyBudget, ""},
		"pattern too deep":         {`return string.find(string.rep("a", 300), string.rep("a?", 300) .. "b") ~= nil`, script, "pattern too complex"},
		"balance scan":             {`local s = "(" .. string.rep("x", 2^20 - 8) for i = 1, 1e6 do s:find("%b()") end return true`, anyBudget, ""},
		"sort huge":                {`local t = {} for i = 1, 2e5 do t[i] = -i end table.sort(t) table.sort(t) table.sort(t) table.sort(t) return true`, anyBudget, ""},
		"os.date format":           {`return os.date(string.rep("%c", 1000))`, script, "format longer than 256 bytes"},
	}
	e := newTestEngine(t, Options{})
	// A bound that catches a hang, not a slow machine: the budget itself is
	// checked through the verdict's reason (timings are benchmarks' job).
	limit := 10*e.Options().Timeout + 5*time.Second
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			v := evalOn(t, e, gpuNode(), tc.src)
			took := time.Since(start)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if v.Selected || v.Reason == "" {
				t.Fatalf("verdict = %+v, want not selected with a reason", v)
			}
			if !slices.Contains(tc.reasons, v.Reason) {
				t.Errorf("reason = %q (%s), want one of %q", v.Reason, v.Err, tc.reasons)
			}
			if v.Reason != ReasonTimeout && !strings.Contains(v.Err, tc.err) || !strings.Contains(v.Err, "test.lua:") {
				t.Errorf("Err = %q, want test.lua:<line>: ... containing %q", v.Err, tc.err)
			}
			if took > limit {
				t.Errorf("took %s, more than %s", took, limit)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
				t.Errorf("allocated %d MiB", grew>>20)
			}
		})
	}
	// The process is fine and the engine still works.
	if v := evalOn(t, e, gpuNode(), `return true`); !v.Selected {
		t.Errorf("after the bombs: %+v", v)
	}
}

// With a large instruction budget, an infinite loop runs into the time
// budget, and the verdict comes soon after it.
func TestTimeBudget(t *testing.T) {
	e := newTestEngine(t, Options{Timeout: 50 * time.Millisecond, MaxInstructions: 1 << 50})
	start := time.Now()
	v := evalOn(t, e, gpuNode(), "local x = 0\nwhile true do x = x + 1 end")
	took := time.Since(start)
	if v.Selected || v.Reason != ReasonTimeout || !strings.Contains(v.Err, "test.lua:2: time budget of 50ms exceeded") {
		t.Errorf("verdict = %+v, want %q at line 2", v, ReasonTimeout)
	}
	if took < 50*time.Millisecond || took > 10*time.Second { // the upper bound catches a hang only
		t.Errorf("took %s, want at least the 50ms budget (and no hang)", took)
	}
}

// The time budget on a fake clock: deterministic, and read only every
// clockEvery instructions.
func TestTimeBudgetFakeClock(t *testing.T) {
	e := newTestEngine(t, Options{Timeout: time.Second, MaxInstructions: 1 << 50})
	var ticks int
	base := time.Unix(1_700_000_000, 0)
	e.now = func() time.Time {
		ticks++
		return base.Add(time.Duration(ticks) * 100 * time.Millisecond)
	}
	v := evalOn(t, e, gpuNode(), `while true do end`)
	if v.Reason != ReasonTimeout {
		t.Fatalf("verdict = %+v, want %q", v, ReasonTimeout)
	}
	// One read to start, then one per clockEvery instructions until the
	// clock has moved a second.
	if ticks != 11 {
		t.Errorf("clock read %d times, want 11", ticks)
	}
}

// The caller's context cancels a running evaluation; that is not the
// script's fault, and says so.
func TestCallerDeadline(t *testing.T) {
	e := newTestEngine(t, Options{MaxInstructions: 1 << 50, Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	v := e.Evaluate(ctx, mustCompile(t, "loop.lua", `while true do end`), gpuNode(), nil, nil)
	if v.Selected || v.Reason != ReasonCancelled || !strings.Contains(v.Err, "deadline exceeded") {
		t.Errorf("verdict = %+v, want %q", v, ReasonCancelled)
	}
}
