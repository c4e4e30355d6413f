package rest

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shrike-grid/shrike/api"
)

// decodeStrict reads the request body as one JSON object into v, refusing
// what v does not know: every unknown field (with its path, like
// "infrastructure.parms"), a value of the wrong type and a value its type
// refuses (a bad duration) are reported together as one CodeInvalid
// error. A body that is not JSON is a CodeBadRequest, and so is an empty
// one unless optional, when it leaves v as it is.
func decodeStrict(c *gin.Context, v any, optional bool) error {
	data, err := readBody(c)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if optional {
			return nil
		}
		return badRequest("empty request body: want a JSON object")
	}
	if !json.Valid(data) {
		return badRequest("request body is not valid JSON: %v", jsonSyntaxError(data))
	}
	err = json.Unmarshal(data, v)
	var raw any
	_ = json.Unmarshal(data, &raw) // valid JSON, checked above
	var errs []api.FieldError
	checkFields(raw, reflect.TypeOf(v), "", &errs)
	switch {
	case len(errs) > 0:
		return api.Invalid(errs)
	case err != nil:
		return badRequest("request body: %v", err)
	}
	return nil
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// checkFields walks the decoded JSON value raw along the Go type t and
// records, on their paths, every object key that t has no field for (in
// key order), every value of the wrong JSON type and every value that a
// type decoding itself (a duration) refuses. null is always accepted.
func checkFields(raw any, t reflect.Type, path string, errs *[]api.FieldError) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if raw == nil {
		return
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		checkValue(raw, t, path, errs)
		return
	}
	if !jsonTypeFits(raw, t) {
		*errs = append(*errs, api.FieldError{Field: orBody(path),
			Message: fmt.Sprintf("want %s, got %s", jsonKind(t), describeJSON(raw))})
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		obj := raw.(map[string]any)
		fields := jsonFields(t)
		for _, key := range sortedKeys(obj) {
			ft, ok := fieldFor(fields, key)
			if !ok {
				*errs = append(*errs, api.FieldError{Field: joinPath(path, key), Message: "unknown field"})
				continue
			}
			checkFields(obj[key], ft, joinPath(path, key), errs)
		}
	case reflect.Map:
		obj := raw.(map[string]any)
		for _, key := range sortedKeys(obj) {
			checkFields(obj[key], t.Elem(), joinPath(path, key), errs)
		}
	case reflect.Slice, reflect.Array:
		for i, item := range raw.([]any) {
			checkFields(item, t.Elem(), path+"["+strconv.Itoa(i)+"]", errs)
		}
	}
}

// jsonTypeFits reports whether a decoded JSON value (not null) may decode
// into t.
func jsonTypeFits(raw any, t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String:
		_, ok := raw.(string)
		return ok
	case reflect.Bool:
		_, ok := raw.(bool)
		return ok
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := raw.(float64)
		return ok && n == math.Trunc(n) && fitsInt(n, t)
	case reflect.Float32, reflect.Float64:
		_, ok := raw.(float64)
		return ok
	case reflect.Slice, reflect.Array:
		_, ok := raw.([]any)
		return ok
	case reflect.Map, reflect.Struct:
		_, ok := raw.(map[string]any)
		return ok
	}
	return true
}

// fitsInt reports whether the integral number n fits the integer type t.
func fitsInt(n float64, t reflect.Type) bool {
	v := reflect.New(t).Elem()
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64 {
		return n >= 0 && !v.OverflowUint(uint64(n))
	}
	return !v.OverflowInt(int64(n))
}

// jsonKind names what a Go type looks like in JSON, for errors.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// describeJSON names the JSON type of a decoded value, for errors.
func describeJSON(raw any) string {
	switch raw.(type) {
	case string:
		return "a string"
	case bool:
		return "true or false"
	case float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// checkValue records the error of a type that decodes itself (a
// duration, a time) for the value raw, on the field path.
func checkValue(raw any, t reflect.Type, path string, errs *[]api.FieldError) {
	data, _ := json.Marshal(raw)
	if err := json.Unmarshal(data, reflect.New(t).Interface()); err != nil {
		*errs = append(*errs, api.FieldError{Field: orBody(path), Message: err.Error()})
	}
}

// orBody names the whole body when a field path is empty.
func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

// jsonFields maps the JSON names of t's fields (those of embedded structs
// included, as encoding/json flattens them) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, shadowed := out[k]; !shadowed {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// fieldFor finds the field of a JSON key; like encoding/json, an exact
// name wins over a case-insensitive match.
func fieldFor(fields map[string]reflect.Type, key string) (reflect.Type, bool) {
	if t, ok := fields[key]; ok {
		return t, true
	}
	for name, t := range fields {
		if strings.EqualFold(name, key) {
			return t, true
		}
	}
	return nil, false
}

// sortedKeys returns the keys of obj in order.
func sortedKeys(obj map[string]any) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// joinPath appends a key to a field path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
