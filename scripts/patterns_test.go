package scripts

import (
	"regexp"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// dumpLua renders a list of Lua values as "type:value,...".
const dumpLua = `
local function dump(...)
  local out = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    out[#out + 1] = type(v) .. ":" .. tostring(v)
  end
  return table.concat(out, ",")
end
local function words(f, s, v)
  local out = {}
  for a, b in f, s, v do out[#out + 1] = tostring(a) .. "/" .. tostring(b) end
  return table.concat(out, ";")
end
`

// errLine matches the position in an error message.
var errLine = regexp.MustCompile(`^error: test\.lua:\d+: `)

// sandboxResult evaluates expr in the sandbox and returns dump(expr), or
// "error: ..." with the error message.
func sandboxResult(t *testing.T, e *Engine, expr string) string {
	t.Helper()
	v := evalOn(t, e, gpuNode(), dumpLua+`
local ok, r = pcall(function() return dump(`+expr+`) end)
if ok then error("=" .. r, 0) end
error("error: " .. tostring(r), 0)`)
	if v.Reason != ReasonError {
		t.Fatalf("%s: verdict %+v", expr, v)
	}
	return strings.TrimPrefix(v.Err, "=")
}

// stockResult is the same in a plain gopher-lua state.
func stockResult(t *testing.T, expr string) string {
	t.Helper()
	L := lua.NewState()
	defer L.Close()
	err := L.DoString(dumpLua + `
local ok, r = pcall(function() return dump(` + expr + `) end)
if ok then result = r else result = "error: " .. tostring(r) end`)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return L.GetGlobal("result").String()
}

// The sandbox's matcher (a port of Lua 5.1's) agrees with gopher-lua's on
// ordinary patterns; where gopher-lua departs from Lua 5.1, want says
// what Lua 5.1 answers.
func TestPatterns(t *testing.T) {
	tests := []struct {
		expr string
		want string // "" to compare with stock gopher-lua
	}{
		{`string.find("hello world", "o w")`, ""},
		{`string.find("hello", "l+")`, ""},
		{`string.find("hello", "xyz")`, ""},
		{`string.find("a.b", ".", 1, true)`, ""},
		{`string.find("a+b", "+", 1, true)`, ""},
		{`string.find("a+b", "a+b")`, ""},
		{`string.find("abc", "b", -1)`, ""},
		{`string.find("abcabc", "b", 3)`, ""},
		{`string.find("abc", "", 10)`, "number:4,number:3"},
		{`string.find("abc", "")`, ""},
		{`string.find("hello", "(l)(l)")`, ""},
		{`string.find("hello", "()ll()")`, ""},
		{`string.find("hello", "^h")`, ""},
		{`string.find("hello", "^e")`, ""},
		{`string.find("hello", "o$")`, ""},
		{`string.find("a$b", "$b")`, ""},
		{`string.match("key=value", "(%w+)=(%w+)")`, ""},
		{`string.match("  trim  ", "^%s*(.-)%s*$")`, ""},
		{`string.match("2024-01-15", "(%d+)-(%d+)-(%d+)")`, ""},
		{`string.match("hello", ".-")`, ""},
		{`string.match("hello", "h(.*)")`, ""},
		{`string.match("THE (quick) fox", "%((%a+)%)")`, ""},
		{`string.match("f(a(b)c)d", "%b()")`, ""},
		{`string.match("THE (quick) fox", "%f[%a]%a+", 5)`, "string:quick"},
		{`string.match("hello", "(h)(e)(l)(l)(o)")`, ""},
		{`string.match("abcabc", "(abc)%1")`, ""},
		{`string.match("x = 10", "^(%a+)%s*=%s*(%d+)$")`, ""},
		{`string.match("[test]", "^%[(.*)%]$")`, ""},
		{`string.match("a-b", "[%-]")`, ""},
		{`string.match("a]b", "[]]")`, ""},
		{`string.match("abc", "[^a]+")`, ""},
		{`string.match("a1-z9", "[a-c0-5]+")`, ""},
		{`string.match("hello123", "%a+%d+")`, ""},
		{`string.match("UPPER lower", "%u+")`, ""},
		{`string.match("UPPER lower", "%l+")`, ""},
		{`string.match("UPPER lower", "%U+")`, ""},
		{`string.match("tab\there", "%s(%S+)")`, ""},
		{`string.match("0x1F", "0x(%x+)")`, ""},
		{`string.match("a,b;c", "%p")`, ""},
		{`string.match("ab\1c", "%c")`, ""},
		{`string.match("hello", "l*")`, ""},
		{`string.match("hello", "l?lo")`, ""},
		{`string.match("aaa", "a-b")`, "nil:nil"},
		{`string.match("hello world", "%w+$")`, ""},
		{`string.match("hello", "()")`, ""},
		{`string.match("hello", "", 3)`, ""},
		{`string.match("gpu01.example.org", "^gpu(%d+)%.")`, ""},
		{`words(string.gmatch("one two three", "%a+"))`, ""},
		{`words(string.gmatch("a=1, b=2", "(%w+)=(%w+)"))`, ""},
		{`words(string.gmatch("abc", ""))`, ""},
		{`words(string.gmatch("hello", "l*"))`, ""},
		{`words(string.gmatch("^a^a", "^a"))`, "string:^a/nil;^a/nil"}, // 5.1: no anchor in gmatch
		{`string.gsub("hello world", "o", "0")`, ""},
		{`string.gsub("hello world", "(%w+)", "<%1>")`, ""},
		{`string.gsub("hello world", "%w+", "%0 %0", 1)`, ""},
		{`string.gsub("abc", "", "-")`, ""},
		{`string.gsub("hello", "l", {l = "L"})`, ""},
		{`string.gsub("hello", "(l)", function(x) return x:upper() end)`, ""},
		{`string.gsub("hello", "l", function() return nil end)`, ""},
		{`string.gsub("abc", "%w", "%%")`, ""},
		{`string.gsub("$1.00", "%$", "USD")`, ""},
		{`string.gsub("  x  ", "^%s+", "")`, ""},
		{`string.gsub("hello world", "o", "0", 0)`, ""},
		{`string.gsub("hello", "(l)(l)", "%2%1")`, ""},
		{`string.gsub("hello", "l+", 7)`, "string:he7o,number:1"},
		{`string.gsub("abc", "()", "%1")`, ""},
		{`string.gsub("abc", "a", "%1")`, ""},
		{`string.gsub("x", "x", "%2")`, "error: invalid capture index"},
		{`string.gsub("abc", ".", {a = 1, b = true})`, "error: invalid replacement value (a boolean)"},
		{`string.gsub("x", "x", true)`, "error: bad argument #3 to gsub (string/function/table expected)"},
		{`string.gsub("x", "x", "%")`, "error: invalid use of '%' in replacement string"},
		{`string.find("x", "[a")`, "error: malformed pattern (missing ']')"},
		{`string.find("x", "%")`, "error: malformed pattern (ends with '%')"},
		{`string.match("x", "(x")`, "error: unfinished capture"},
		{`string.match("x", "x)")`, "error: invalid pattern capture"},
		{`string.find("x", "%b")`, "error: unbalanced pattern"},
		{`string.match("x", "%1")`, "error: invalid capture index"},
		{`string.find("x", "%f")`, "error: missing '[' after '%f' in pattern"},
		{`string.match("x", string.rep("(", 33))`, "error: too many captures"},
	}
	e := newTestEngine(t, Options{})
	for _, tc := range tests {
		got := sandboxResult(t, e, tc.expr)
		if tc.want == "" {
			if want := stockResult(t, tc.expr); got != want {
				t.Errorf("%s = %q, gopher-lua says %q", tc.expr, got, want)
			}
			continue
		}
		if got = errLine.ReplaceAllString(got, "error: "); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.expr, got, tc.want)
		}
	}
}
