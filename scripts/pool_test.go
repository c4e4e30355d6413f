package scripts

import (
	"context"
	"sync"
	"testing"
)

// evalSeq evaluates the sources one after the other on e and returns the
// verdicts.
func evalSeq(t *testing.T, e *Engine, srcs ...string) []Verdict {
	t.Helper()
	out := make([]Verdict, len(srcs))
	for i, src := range srcs {
		out[i] = evalOn(t, e, gpuNode(), src)
	}
	return out
}

// One pooled state serves every evaluation, and nothing one evaluation
// does is visible to the next.
func TestPoolDoesNotLeak(t *testing.T) {
	tests := map[string]struct {
		first, second string
	}{
		"global":           {`leaked = 42; return true`, `return leaked == nil`},
		"selected":         {`selected = true`, `return selected == nil`},
		"_G entry":         {`_G.x = 1; return true`, `return x == nil and _G.x == nil`},
		"shadowed library": {`string = nil; sel = nil; node = nil; return true`, `return string.upper("a") == "A" and sel.os_is("linux") and node.name == "gpu-01"`},
		"library mutation": {`pcall(function() string.upper = nil end); pcall(function() sel.os_is = nil end); return true`, `return string.upper ~= nil and sel.os_is ~= nil`},
		"string metatable": {`pcall(setmetatable, "", {}); return true`, `return ("a"):upper() == "A"`},
		"number metatable": {`pcall(setmetatable, 1, {__index = function() return true end}); return true`, `return getmetatable(1) == nil and not pcall(function() return (1).x end)`},
		"error mid-way":    {`half = true; error("stop")`, `return half == nil`},
		"closure":          {`keep = function() return true end; return true`, `return keep == nil`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newTestEngine(t, Options{PoolSize: 1})
			v := evalSeq(t, e, tc.first, tc.second)
			if !v[1].Selected {
				t.Errorf("second evaluation = %+v (first: %+v)", v[1], v[0])
			}
			if n := e.created.Load(); n != 1 {
				t.Errorf("%d Lua states built, want 1 reused", n)
			}
		})
	}
}

// A state that hit a limit is not reused.
func TestPoolDropsTrippedStates(t *testing.T) {
	e := newTestEngine(t, Options{PoolSize: 1})
	v := evalSeq(t, e, `return true`, `while true do end`, `return true`, `return true`)
	tripped := v[1].Reason == ReasonInstructions || v[1].Reason == ReasonTimeout // -race is slow
	if !tripped || !v[2].Selected || !v[3].Selected {
		t.Fatalf("verdicts = %+v", v)
	}
	if n := e.created.Load(); n != 2 {
		t.Errorf("%d Lua states built, want 2 (one dropped after the loop)", n)
	}
}

// Many goroutines share the engine and the compiled scripts.
func TestEngineConcurrent(t *testing.T) {
	e := newTestEngine(t, Options{PoolSize: 2})
	yes := mustCompile(t, "yes.lua", `x = (x or 0) + 1; return x == 1 and sel.has_gpu("a100")`)
	no := mustCompile(t, "no.lua", `return sel.os_is("windows")`)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				s, want := yes, true
				if (g+i)%2 == 1 {
					s, want = no, false
				}
				if v := e.Evaluate(context.Background(), s, gpuNode(), nil, nil); v.Selected != want {
					errs <- v.Reason + " " + v.Err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("wrong verdict: %s", err)
	}
}
