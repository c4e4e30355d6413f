package policies

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// Type is the type of a parameter's value. Every value travels as a string.
type Type = api.ParamType

// The parameter types.
const (
	TypeString    = api.ParamString
	TypeInt       = api.ParamInt
	TypeFloat     = api.ParamFloat
	TypeBool      = api.ParamBool
	TypeDuration  = api.ParamDuration
	TypeCron      = api.ParamCron
	TypeTimeOfDay = api.ParamTimeOfDay
	TypeList      = api.ParamList
	TypeText      = api.ParamText
)

// Param describes one parameter of a policy or an infrastructure.
type Param = api.Param

// Params are parameter values as users give them, by name. An empty value
// counts as absent: the default applies.
type Params map[string]string

// Redacted replaces secret values in reads.
const Redacted = "******"

// Redact returns a copy of p for reads: secret values (per spec) replaced
// by Redacted.
func Redact(spec []Param, p Params) Params {
	out := make(Params, len(p))
	for k, v := range p {
		if i := slices.IndexFunc(spec, func(ps Param) bool { return ps.Name == k }); i >= 0 && spec[i].Secret && v != "" {
			v = Redacted
		}
		out[k] = v
	}
	return out
}

// values are parameters checked against their spec and parsed, with
// defaults applied. Constructors read them with the typed getters and add
// their own checks with check; every problem is kept.
type values struct {
	parsed  map[string]any
	failed  map[string]bool
	errs    []api.FieldError
	unknown []api.FieldError
}

// parseParams parses p against spec: missing required values, values that
// do not parse, and unknown names are all reported.
func parseParams(spec []Param, p Params) *values {
	v := &values{parsed: map[string]any{}, failed: map[string]bool{}}
	for _, ps := range spec {
		s := strings.TrimSpace(p[ps.Name])
		if s == "" {
			s = ps.Default
		}
		if s == "" {
			if ps.Required {
				v.fail(ps.Name, "required")
			}
			continue
		}
		x, err := parseValue(ps.Type, s)
		if err != nil {
			v.fail(ps.Name, valueError(ps, s, err))
			continue
		}
		v.parsed[ps.Name] = x
	}
	v.unknown = unknownParams(spec, p)
	return v
}

// valueError words a parse failure, without the value if it is secret.
func valueError(ps Param, s string, err error) string {
	if ps.Secret {
		return "must be " + typePhrase[ps.Type]
	}
	if ps.Type == TypeCron {
		return err.Error()
	}
	return fmt.Sprintf("%q is not %s", s, typePhrase[ps.Type])
}

var typePhrase = map[Type]string{
	TypeString:    "a string",
	TypeInt:       "a whole number",
	TypeFloat:     "a number",
	TypeBool:      "true or false",
	TypeDuration:  "a duration like 30s, 10m, 2h or 1d",
	TypeCron:      "a cron expression like \"0 8 * * mon-fri\"",
	TypeTimeOfDay: "a time of day like 08:00 or 18:30",
	TypeList:      "a comma-separated list",
	TypeText:      "text",
}

func parseValue(t Type, s string) (any, error) {
	switch t {
	case TypeInt:
		return strconv.Atoi(s)
	case TypeFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			err = fmt.Errorf("not finite")
		}
		return f, err
	case TypeBool:
		return strconv.ParseBool(s)
	case TypeDuration:
		d, err := api.ParseDuration(s)
		return time.Duration(d), err
	case TypeCron:
		return ParseCron(s)
	case TypeTimeOfDay:
		return ParseTimeOfDay(s)
	case TypeList:
		return splitList(s), nil
	default:
		return s, nil
	}
}

func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// unknownParams reports the names in p that spec does not know, sorted,
// each with a suggestion.
func unknownParams(spec []Param, p Params) []api.FieldError {
	known := make([]string, len(spec))
	for i, ps := range spec {
		known[i] = ps.Name
	}
	var errs []api.FieldError
	for _, name := range slices.Sorted(maps.Keys(p)) {
		if slices.Contains(known, name) {
			continue
		}
		msg := "unknown parameter"
		if s := suggest(name, known); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else if len(known) > 0 {
			msg += " (known: " + strings.Join(known, ", ") + ")"
		} else {
			msg += " (this kind takes none)"
		}
		errs = append(errs, api.FieldError{Field: "params." + name, Message: msg})
	}
	return errs
}

func (v *values) fail(name, msg string) {
	v.failed[name] = true
	v.errs = append(v.errs, api.FieldError{Field: "params." + name, Message: msg})
}

// check records "params.<name>: <message>" unless ok, or unless name
// already failed (one problem per value is enough).
func (v *values) check(ok bool, name, format string, args ...any) {
	if !ok && !v.failed[name] {
		v.fail(name, fmt.Sprintf(format, args...))
	}
}

// has reports whether name has a valid value, given or by default.
func (v *values) has(name string) bool { _, ok := v.parsed[name]; return ok }

// errors returns every problem: value problems in spec order, then the
// constructor's checks, then unknown names.
func (v *values) errors() []api.FieldError { return append(v.errs, v.unknown...) }

func get[T any](v *values, name string) T {
	x, ok := v.parsed[name]
	if !ok {
		var zero T
		return zero
	}
	return x.(T) // a panic here is a spec/getter mismatch: a bug
}

func (v *values) int(name string) int                { return get[int](v, name) }
func (v *values) float(name string) float64          { return get[float64](v, name) }
func (v *values) bool(name string) bool              { return get[bool](v, name) }
func (v *values) str(name string) string             { return get[string](v, name) }
func (v *values) list(name string) []string          { return get[[]string](v, name) }
func (v *values) duration(name string) time.Duration { return get[time.Duration](v, name) }
func (v *values) cron(name string) Cron              { return get[Cron](v, name) }
func (v *values) timeOfDay(name string) TimeOfDay    { return get[TimeOfDay](v, name) }

// Values are parameters parsed against their spec, for infrastructures
// (policies use the same parser through their Kind).
type Values struct{ v *values }

// ParseParams parses p against spec: defaults applied, every missing
// required value, unparsable value and unknown name recorded.
func ParseParams(spec []Param, p Params) *Values { return &Values{parseParams(spec, p)} }

// Int, Float, Bool, String, List and Duration return a parsed value (the
// zero value when it is missing or did not parse).
func (v *Values) Int(name string) int                { return v.v.int(name) }
func (v *Values) Float(name string) float64          { return v.v.float(name) }
func (v *Values) Bool(name string) bool              { return v.v.bool(name) }
func (v *Values) String(name string) string          { return v.v.str(name) }
func (v *Values) List(name string) []string          { return v.v.list(name) }
func (v *Values) Duration(name string) time.Duration { return v.v.duration(name) }

// Has reports whether name has a valid value, given or by default.
func (v *Values) Has(name string) bool { return v.v.has(name) }

// Check records "params.<name>: <message>" unless ok.
func (v *Values) Check(ok bool, name, format string, args ...any) {
	v.v.check(ok, name, format, args...)
}

// Errors returns every problem found.
func (v *Values) Errors() []api.FieldError { return v.v.errors() }
