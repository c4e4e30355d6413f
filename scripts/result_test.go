package scripts

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestRunTaskResult: return values become JSON, or a *ResultError saying
// where and why; the parents' results are the global table results.
func TestRunTaskResult(t *testing.T) {
	tests := map[string]struct {
		src, want, err string
	}{
		"integer":          {src: `return 7`, want: `7`},
		"negative":         {src: `return -3`, want: `-3`},
		"float":            {src: `return 0.25`, want: `0.25`},
		"huge":             {src: `return 1e20`, want: `1e+20`},
		"unicode":          {src: `return "é\n\"x\""`, want: `"é\n\"x\""`},
		"nested":           {src: `return {a = {b = {1, {c = false}}}}`, want: `{"a":{"b":[1,{"c":false}]}}`},
		"first of several": {src: `return 1, 2`, want: `1`},
		"nil":              {src: `return nil`},
		"nan":              {src: `return 0/0`, err: "result: NaN and infinite numbers have no JSON form"},
		"infinity":         {src: `return {x = 1/0}`, err: "result.x: NaN and infinite numbers"},
		"userdata key":     {src: `return {[true] = 1}`, err: "result: a table key of type boolean"},
		"coroutine":        {src: `return {co = coroutine and coroutine.create(print) or print}`, err: "result.co: a "},
		"deep": {src: `local t = {} local c = t for i = 1, 200 do c.x = {} c = c.x end return t`,
			err: "nested deeper than 100 tables"},
		"array in array cycle": {src: `local t = {1} t[2] = {t} return t`, err: "result[2][1]: the table contains itself"},
		"shared, not a cycle":  {src: `local s = {1} return {a = s, b = s}`, want: `{"a":[1],"b":[1]}`},
		"parents":              {src: `return results.p.list[2] .. results.q`, want: `"bz"`},
	}
	parents := map[string]json.RawMessage{"p": json.RawMessage(`{"list":["a","b"]}`), "q": json.RawMessage(`"z"`)}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := RunTaskResult(context.Background(), tc.src, parents, io.Discard, io.Discard)
			if tc.err != "" {
				var re *ResultError
				if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want a ResultError with %q", err, tc.err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("result %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}
