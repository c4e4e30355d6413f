package scripts

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The contract: true or false (returned, or set as the global selected);
// anything else is false with a reason.
func TestEvaluateContract(t *testing.T) {
	tests := map[string]struct {
		src      string
		selected bool
		reason   string
		err      string // substring of Verdict.Err
	}{
		"return true":                 {src: `return true`, selected: true},
		"return false":                {src: `return false`, reason: ReasonFalse},
		"selected = true":             {src: `selected = true`, selected: true},
		"selected = false":            {src: `selected = false`, reason: ReasonFalse},
		"return wins":                 {src: `selected = true; return false`, reason: ReasonFalse},
		"nil falls to selected":       {src: `selected = true; return nil`, selected: true},
		"first value counts":          {src: `return true, false`, selected: true},
		"expression":                  {src: `return node.cpus >= 16 and node.os == "linux"`, selected: true},
		"empty script":                {src: ``, reason: ReasonNoResult, err: "returned nothing"},
		"return nil":                  {src: `return nil`, reason: ReasonNoResult, err: "did not set selected"},
		"return number":               {src: `return 1`, reason: ReasonBadResult, err: "returned a number (1)"},
		"return string":               {src: `return "yes"`, reason: ReasonBadResult, err: "returned a string (yes)"},
		"return table":                {src: `return {}`, reason: ReasonBadResult, err: "returned a table"},
		"return function":             {src: `return print`, reason: ReasonBadResult, err: "returned a function"},
		"selected number":             {src: `selected = 0`, reason: ReasonBadResult, err: "set selected to a number"},
		"runtime error":               {src: "local x\n\nreturn x.field", reason: ReasonError, err: "test.lua:3: attempt to index"},
		"error()":                     {src: "\nerror('no scratch disk')", reason: ReasonError, err: "test.lua:2: no scratch disk"},
		"error level 0":               {src: `error("plain", 0)`, reason: ReasonError, err: "plain"},
		"error table":                 {src: `error({code = 1})`, reason: ReasonError, err: "error object is a table value"},
		"call nil":                    {src: `return nosuch()`, reason: ReasonError, err: "test.lua:1:"},
		"error inside function":       {src: "local function f()\n  error('deep')\nend\nreturn f()", reason: ReasonError, err: "test.lua:2: deep"},
		"pcall catches errors":        {src: `local ok = pcall(error, "x"); return not ok`, selected: true},
		"args":                        {src: `return args[1] == "a" and args[2] == "b" and #args == 2`, selected: true},
		"varargs are args":            {src: `local a, b = ...; return a == "a" and b == "b" and select("#", ...) == 2`, selected: true},
		"vars":                        {src: `return vars.PROJECT == "climate" and tonumber(vars.SIZE) == 3 and vars.NOPE == nil`, selected: true},
		"concat numbers":              {src: `return 1 .. 2 == "12" and 1.5 .. "" == "1.5"`, selected: true},
		"concat chain":                {src: `local a, b = "x", "y"; return a .. b .. a .. (b .. a) == "xyxyx"`, selected: true},
		"concat metamethod":           {src: `local t = setmetatable({}, {__concat = function(a, b) return "meta" end}); return t .. "x" == "meta" and "x" .. t == "meta"`, selected: true},
		"concat nil":                  {src: "\nreturn 'a' .. nil", reason: ReasonError, err: "test.lua:2: attempt to concatenate a nil value"},
		"concat in closure":           {src: `local function f(s) return function() return s .. "!" end end; return f("hi")() == "hi!"`, selected: true},
		"concat as table key":         {src: `local t = {["a" .. "b"] = 1}; t["c" .. "d"] = 2; return t.ab + t.cd == 3`, selected: true},
		"concat in for":               {src: `local s = ""; for i = 1, 3 do s = s .. i end; for _, v in ipairs({"a" .. "b"}) do s = s .. v end; return s == "123ab"`, selected: true},
		"concat in method call":       {src: `return ("a" .. "b"):upper() == "AB"`, selected: true},
		"concat in repeat/while":      {src: `local s = "" repeat s = s .. "x" until s .. "" == "xxx" while #(s .. "") < 5 do s = s .. "y" end return s == "xxxyy"`, selected: true},
		"index assignment":            {src: `local t = {} local k = "a" t[k] = 1 t[1] = 2 t[#t + 1] = 3 t.b = 4 t[k] = nil return t.a == nil and t[1] == 2 and t[2] == 3 and t.b == 4`, selected: true},
		"nested index":                {src: `local t = {{}} t[1][2] = "x" t[1].y = "z" return t[1][2] == "x" and t[1].y == "z"`, selected: true},
		"sparse index":                {src: `local t = {} t[1000] = 1 return t[1000] == 1 and #t ~= nil`, selected: true},
		"float and negative keys":     {src: `local t = {} t[0.5] = 1 t[-1] = 2 t[0] = 3 t[2^60] = 4 return t[0.5] + t[-1] + t[0] + t[2^60] == 10`, selected: true},
		"swap":                        {src: `local a = {1, 2} a[1], a[2] = a[2], a[1] return a[1] == 2 and a[2] == 1`, selected: true},
		"multi-assign mixed":          {src: `local t, x = {} ; local i = 1 ; i, t[i], x = i + 1, 20, 30 return i == 2 and t[1] == 20 and x == 30`, selected: true},
		"multi-assign multret":        {src: `local t = {} local function f() return 1, 2, 3 end t[1], t[2], t[3], t[4] = f() return t[3] == 3 and t[4] == nil`, selected: true},
		"multi-assign globals":        {src: `local t = {} g1, t[1], t.x = 1, 2, 3 return g1 == 1 and t[1] == 2 and t.x == 3`, selected: true},
		"__newindex function":         {src: `local log = {} local t = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k end}) t[1] = 1 t.x = 2 return #log == 2 and rawget(t, 1) == nil`, selected: true},
		"__newindex table":            {src: `local store = {} local t = setmetatable({}, {__newindex = store}) t[1] = "a" return store[1] == "a" and rawget(t, 1) == nil`, selected: true},
		"__newindex existing":         {src: `local t = setmetatable({[1] = "old"}, {__newindex = function() error("called") end}) t[1] = "new" return t[1] == "new"`, selected: true},
		"nil index":                   {src: "local t = {}\nt[nil] = 1", reason: ReasonError, err: "test.lua:2: table index is nil"},
		"NaN index":                   {src: "local t = {}\nt[0/0] = 1", reason: ReasonError, err: "table index is NaN"},
		"index a string":              {src: "local s = 'x'\ns[1] = 2", reason: ReasonError, err: "test.lua:2: attempt to index a string value"},
		"constructor keys":            {src: `local k = "x" local t = {1, 2, [k] = 3, y = 4, [10] = 5} return t[1] == 1 and t[2] == 2 and t.x == 3 and t.y == 4 and t[10] == 5`, selected: true},
		"constructor positional wins": {src: `local t = {[1] = "a", "b"} return t[1] == "b"`, selected: true},
		"constructor later key wins":  {src: `local k = "x" local t = {[k] = 1, [k] = 2} return t.x == 2`, selected: true},
		"constructor multret":         {src: `local function f() return 1, 2, 3 end local t = {[0] = f(), f()} return t[0] == 1 and #t == 3`, selected: true},
		"constructor varargs":         {src: `local t = {[0] = ..., ...} return t[0] == "a" and #t == 2 and t[2] == "b"`, selected: true},
		"constructor nil key":         {src: `local t = {[nil] = 1}`, reason: ReasonError, err: "table index is nil"},
		"_G is the script's":          {src: `x = 1; return _G.x == 1 and _G.node == node`, selected: true},
		"string methods":              {src: `local s = "Gpu01"; return s:lower() == "gpu01" and s:sub(1, 3) == "Gpu" and s:len() == 5`, selected: true},
		"os.time is there":            {src: `return type(os.time()) == "number" and type(os.clock()) == "number" and type(os.date("%Y")) == "string"`, selected: true},
		"math is there":               {src: `return math.max(1, 5) == 5 and math.floor(2.5) == 2 and math.huge > 0`, selected: true},
	}
	e := newTestEngine(t, Options{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := evalOn(t, e, gpuNode(), tc.src, "a", "b")
			if v.Selected != tc.selected || v.Reason != tc.reason {
				t.Fatalf("verdict = %+v, want selected=%v reason=%q", v, tc.selected, tc.reason)
			}
			if !strings.Contains(v.Err, tc.err) {
				t.Errorf("Err = %q, want it to contain %q", v.Err, tc.err)
			}
			if v.Selected && (v.Reason != "" || v.Err != "") {
				t.Errorf("selected verdict carries a reason: %+v", v)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := map[string]struct {
		src  string
		line int
		msg  string
	}{
		"unclosed call":    {src: "return (", line: 1, msg: "syntax error"},
		"second line":      {src: "x = 1\ny = = 2", line: 2, msg: "near '='"},
		"unclosed string":  {src: "local a = 1\nlocal s = \"abc", line: 2, msg: ""},
		"missing end":      {src: "if true then\nreturn true\n", line: 3, msg: ""},
		"bytecode":         {src: "\x1bLua\x51\x00", line: 1, msg: ""},
		"goto to no label": {src: "goto nowhere", line: 1, msg: ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Compile("sel.lua", tc.src)
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v (%T), want *CompileError", err, err)
			}
			if ce.Script != "sel.lua" || ce.Line != tc.line {
				t.Errorf("error at %s:%d, want sel.lua:%d (%v)", ce.Script, ce.Line, tc.line, err)
			}
			if !strings.Contains(ce.Error(), tc.msg) || !strings.HasPrefix(ce.Error(), "sel.lua:") {
				t.Errorf("Error() = %q, want sel.lua:... containing %q", ce.Error(), tc.msg)
			}
		})
	}
}

func TestCompileTooLarge(t *testing.T) {
	_, err := Compile("big.lua", "return true --"+strings.Repeat("x", MaxSourceBytes))
	var ce *CompileError
	if !errors.As(err, &ce) || !strings.Contains(ce.Msg, "more than") {
		t.Errorf("err = %v, want a CompileError about the size", err)
	}
}

func TestCompileDigest(t *testing.T) {
	a := mustCompile(t, "a.lua", "return true")
	b := mustCompile(t, "b.lua", "return true")
	c := mustCompile(t, "a.lua", "return false")
	if a.Digest != b.Digest || a.Digest == c.Digest || len(a.Digest) != 64 {
		t.Errorf("digests %s %s %s: want equal for equal sources, 64 hex digits", a.Digest, b.Digest, c.Digest)
	}
}

func TestEngineCompileMemo(t *testing.T) {
	e := newTestEngine(t, Options{})
	a, err := e.Compile("a.lua", "return true")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.Compile("a.lua", "return true")
	c, _ := e.Compile("c.lua", "return true")
	if a != b {
		t.Errorf("same name and source compiled twice")
	}
	if c == a || c.Name != "c.lua" {
		t.Errorf("another name must keep its own chunk name, got %q", c.Name)
	}
	if _, err := e.Compile("bad.lua", "return ("); err == nil {
		t.Errorf("syntax error not reported")
	}
}

func TestEvaluateCancelled(t *testing.T) {
	e := newTestEngine(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v := e.Evaluate(ctx, mustCompile(t, "x.lua", "return true"), gpuNode(), nil, nil)
	if v.Selected || v.Reason != ReasonCancelled {
		t.Errorf("verdict = %+v, want %q", v, ReasonCancelled)
	}
}

func TestEvaluateNilScript(t *testing.T) {
	e := newTestEngine(t, Options{})
	v := e.Evaluate(context.Background(), nil, gpuNode(), nil, nil)
	if v.Selected || v.Reason != ReasonError {
		t.Errorf("verdict = %+v, want %q", v, ReasonError)
	}
}

func TestOptionsValidate(t *testing.T) {
	err := Options{Timeout: -1, MaxInstructions: -1, MaxStack: 10, PoolSize: -2}.Validate()
	if err == nil {
		t.Fatal("Validate accepted negative limits")
	}
	for _, want := range []string{"timeout", "max_instructions", "max_stack", "pool_size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %q, want it to mention %s", err, want)
		}
	}
	if _, err := NewEngine(Options{MaxCallDepth: -1}); err == nil {
		t.Errorf("NewEngine accepted a negative call depth")
	}
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
}
