package scripts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// maxResultDepth bounds the nesting of a task's result, both ways: a
// deeper table is refused (it is almost certainly a mistake, and it keeps
// the encoder's recursion bounded).
const maxResultDepth = 100

// ResultError is a Lua task's return value that cannot be a result: a
// function, a table with mixed or non-string keys, a cycle. Path says
// where in the value ("result.items[2]").
type ResultError struct {
	Path   string
	Reason string
}

func (e *ResultError) Error() string {
	return "the return value cannot be a result: " + e.Path + ": " + e.Reason
}

// EncodeResult converts a Lua task's return value to JSON: nil is no
// result (nil, nil); booleans, numbers and strings are themselves
// (integral numbers as integers); a table whose keys are exactly 1..n is
// an array, one whose keys are all strings an object, an empty table {}.
// Anything else — functions, userdata, NaN or infinite numbers, other
// keys, cycles, nesting deeper than 100 — is a *ResultError.
func EncodeResult(v lua.LValue) (json.RawMessage, error) {
	if v == lua.LNil {
		return nil, nil
	}
	var b bytes.Buffer
	e := resultEncoder{b: &b, seen: map[*lua.LTable]bool{}}
	if err := e.encode(v, "result", 0); err != nil {
		return nil, err
	}
	return json.RawMessage(b.Bytes()), nil
}

type resultEncoder struct {
	b    *bytes.Buffer
	seen map[*lua.LTable]bool // tables on the current path, for cycles
}

func (e *resultEncoder) encode(v lua.LValue, path string, depth int) error {
	switch x := v.(type) {
	case *lua.LNilType:
		e.b.WriteString("null")
	case lua.LBool:
		e.b.WriteString(strconv.FormatBool(bool(x)))
	case lua.LNumber:
		f := float64(x)
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			return &ResultError{path, "NaN and infinite numbers have no JSON form"}
		case f == math.Trunc(f) && math.Abs(f) < 1<<53:
			e.b.WriteString(strconv.FormatInt(int64(f), 10))
		default:
			e.b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	case lua.LString:
		data, _ := json.Marshal(string(x)) // strings always encode
		e.b.Write(data)
	case *lua.LTable:
		if depth >= maxResultDepth {
			return &ResultError{path, fmt.Sprintf("nested deeper than %d tables", maxResultDepth)}
		}
		if e.seen[x] {
			return &ResultError{path, "the table contains itself (a cycle)"}
		}
		e.seen[x] = true
		defer delete(e.seen, x)
		return e.table(x, path, depth)
	default:
		return &ResultError{path, "a " + v.Type().String() + " has no JSON form"}
	}
	return nil
}

// table encodes t as an array (keys 1..n) or an object (string keys).
func (e *resultEncoder) table(t *lua.LTable, path string, depth int) error {
	var strKeys []string
	nums, other := 0, ""
	t.ForEach(func(k, _ lua.LValue) {
		switch key := k.(type) {
		case lua.LString:
			strKeys = append(strKeys, string(key))
		case lua.LNumber:
			nums++
		default:
			other = k.Type().String()
		}
	})
	n := t.MaxN()
	switch {
	case other != "":
		return &ResultError{path, "a table key of type " + other + " (keys must be strings, or 1..n for an array)"}
	case nums > 0 && len(strKeys) > 0:
		return &ResultError{path, "a table mixes string and number keys"}
	case nums > 0 && nums != n:
		return &ResultError{path, "a table's number keys are not exactly 1..n (a sparse array, or non-integer keys)"}
	case nums > 0:
		e.b.WriteByte('[')
		for i := 1; i <= n; i++ {
			if i > 1 {
				e.b.WriteByte(',')
			}
			if err := e.encode(t.RawGetInt(i), path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
		e.b.WriteByte(']')
		return nil
	}
	sort.Strings(strKeys) // a stable encoding
	e.b.WriteByte('{')
	for i, k := range strKeys {
		if i > 0 {
			e.b.WriteByte(',')
		}
		name, _ := json.Marshal(k)
		e.b.Write(name)
		e.b.WriteByte(':')
		if err := e.encode(t.RawGetString(k), path+"."+k, depth+1); err != nil {
			return err
		}
	}
	e.b.WriteByte('}')
	return nil
}

// DecodeResult converts a result (JSON) to a Lua value: objects become
// tables with string keys, arrays tables with keys 1..n, null nil.
func DecodeResult(L *lua.LState, data json.RawMessage) (lua.LValue, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return lua.LNil, err
	}
	return toLua(L, v), nil
}

func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	case []any:
		t := L.CreateTable(len(x), 0)
		for i, e := range x {
			t.RawSetInt(i+1, toLua(L, e))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(x))
		for k, e := range x {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	}
	return lua.LNil
}

// resultsTable builds the global `results` of a task: each parent's
// decoded result by task name.
func resultsTable(L *lua.LState, parents map[string]json.RawMessage) (*lua.LTable, error) {
	t := L.CreateTable(0, len(parents))
	for name, data := range parents {
		v, err := DecodeResult(L, data)
		if err != nil {
			return nil, fmt.Errorf("result of task %s: %w", name, err)
		}
		t.RawSetString(name, v)
	}
	return t, nil
}
