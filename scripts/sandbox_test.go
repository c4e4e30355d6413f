package scripts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each way out of the sandbox is refused: the verdict is false with the
// reason, and nothing happens outside.
func TestSandboxEscapes(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.lua")
	if err := os.WriteFile(secret, []byte("return true"), 0o600); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "pwned")
	q := func(s string) string { return `"` + s + `"` }
	tests := map[string]struct {
		src, err string
	}{
		"io.open":              {`return io.open(` + q(secret) + `) ~= nil`, "io is not available"},
		"io.popen":             {`io.popen("touch ` + marker + `")`, "io is not available"},
		"os.execute":           {`os.execute("touch ` + marker + `")`, "os.execute is not available"},
		"os.exit":              {`os.exit(3)`, "os.exit is not available"},
		"os.getenv":            {`return os.getenv("HOME") ~= nil`, "os.getenv is not available"},
		"os.remove":            {`os.remove(` + q(secret) + `)`, "os.remove is not available"},
		"os.rename":            {`os.rename(` + q(secret) + `, "x")`, "os.rename is not available"},
		"os.tmpname":           {`os.tmpname()`, "os.tmpname is not available"},
		"require":              {`local os2 = require("os")`, "require is not available"},
		"module":               {`module("x")`, "module is not available"},
		"package.loadlib":      {`package.loadlib("libc.so", "system")`, "package is not available"},
		"dofile":               {`return dofile(` + q(secret) + `)`, "dofile is not available"},
		"loadfile":             {`return loadfile(` + q(secret) + `)()`, "loadfile is not available"},
		"load":                 {`return load(function() return nil end)`, "load is not available"},
		"loadstring":           {`return loadstring("return true")()`, "loadstring is not available"},
		"debug.getinfo":        {`return debug.getinfo(1)`, "debug is not available"},
		"debug.getregistry":    {`local r = debug.getregistry()`, "debug is not available"},
		"debug.setmetatable":   {`debug.setmetatable(node, nil)`, "debug is not available"},
		"debug.getupvalue":     {`debug.getupvalue(sel.os_is, 1)`, "debug is not available"},
		"string.dump":          {`return string.dump(function() end)`, "string.dump is not available"},
		"coroutine":            {`coroutine.wrap(function() end)()`, "coroutine is not available"},
		"collectgarbage":       {`collectgarbage("collect")`, "collectgarbage is not available"},
		"getfenv":              {`local g = getfenv(0)`, "getfenv is not available"},
		"setfenv":              {`setfenv(1, {})`, "setfenv is not available"},
		"newproxy":             {`newproxy(true)`, "newproxy is not available"},
		"math.random":          {`return math.random() < 2`, "math.random is not available"},
		"set node field":       {`node.cpus = 1024`, "node is read-only (cannot set cpus)"},
		"add node field":       {`node.gpu = true`, "node is read-only"},
		"set via _G":           {`_G.node.mem_free = 2^50`, "node is read-only"},
		"set tag":              {`node.tags[1] = "admin"`, "node.tags is read-only"},
		"set gpu count":        {`node.gpus.count = 8`, "node.gpus is read-only"},
		"set gpu model":        {`node.gpus.models[1] = "H100"`, "node.gpus.models is read-only"},
		"set fact":             {`node.facts.site = "lyon"`, "node.facts is read-only"},
		"set arg":              {`args[1] = "x"`, "args is read-only"},
		"set var":              {`vars.PROJECT = "x"`, "vars is read-only"},
		"rawset node":          {`rawset(node, "cpus", 1)`, "rawset is not available"},
		"table.insert tags":    {`table.insert(node.tags, "admin")`, "node.tags is read-only"},
		"table.remove tags":    {`table.remove(node.tags)`, "node.tags is read-only"},
		"table.sort tags":      {`table.sort(node.tags)`, "node.tags is read-only"},
		"setmetatable node":    {`setmetatable(node, {})`, "cannot change a protected metatable"},
		"getmetatable node":    {`getmetatable(node).__index.cpus = 1`, "attempt to index"},
		"getmetatable _G":      {`getmetatable(_G).__index.sel = nil`, "attempt to index"},
		"getmetatable string":  {`getmetatable("").__index.upper = nil`, "attempt to index"},
		"setmetatable string":  {`setmetatable("", {})`, "table expected"},
		"setmetatable number":  {`setmetatable(1, {__index = function() return true end})`, "table expected"},
		"setmetatable boolean": {`setmetatable(true, {})`, "table expected"},
		"pairs state":          {`local _, t = pairs(node); t.cpus = 1`, "node is read-only"},
		"next on node":         {`local k = next(node); node[k] = 1`, "node is read-only"},
		"mutate string lib":    {`string.upper = function() return "x" end`, "string is read-only"},
		"mutate sel":           {`sel.has_gpu = function() return true end`, "sel is read-only"},
		"mutate math":          {`math.floor = nil`, "math is read-only"},
		"mutate table lib":     {`table.insert(table, 1)`, "table is read-only"},
		"mutate os":            {`os.time = nil`, "os is read-only"},
		"hidden concat":        {`return _G["(concat)"]("a", "b")`, "attempt to call"},
	}
	e := newTestEngine(t, Options{})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			v := evalOn(t, e, gpuNode(), tc.src)
			if v.Selected || v.Reason == "" || !strings.Contains(v.Err, tc.err) {
				t.Errorf("verdict = %+v, want not selected with Err containing %q", v, tc.err)
			}
		})
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a script created %s", marker)
	}
	if _, err := os.Stat(secret); err != nil {
		t.Errorf("a script removed %s: %v", secret, err)
	}
}

// What was removed is absent from _G as a value a script could use, and
// what is there is what the documentation lists.
func TestSandboxGlobals(t *testing.T) {
	src := `
local want = {
  "_G", "_VERSION", "args", "assert", "error", "getmetatable", "ipairs", "math",
  "next", "node", "os", "pairs", "pcall", "print", "rawequal", "rawget", "select",
  "sel", "setmetatable", "string", "table", "tonumber", "tostring", "type",
  "unpack", "vars", "xpcall",
}
for _, name in ipairs(want) do
  if _G[name] == nil then error("missing " .. name) end
end
local osnames = {}
for k in pairs(os) do if k == "time" or k == "date" or k == "clock" then osnames[#osnames + 1] = k end end
assert(#osnames == 3, "os")
print("print works and goes nowhere")
return true
`
	e := newTestEngine(t, Options{})
	if v := evalOn(t, e, gpuNode(), src); !v.Selected {
		t.Errorf("verdict = %+v", v)
	}
}
