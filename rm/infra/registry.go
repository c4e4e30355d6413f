package infra

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/internal/didyoumean"
	"github.com/shrike-grid/shrike/policies"
)

// DefaultKind is the kind of a source whose infrastructure names none.
const DefaultKind = "enroll"

// Kinds lists every infrastructure kind, the default first.
func Kinds() []Kind { return []Kind{enrollKind, localKind, sshKind, slurmKind} }

// Lookup finds a kind by name.
func Lookup(name string) (Kind, bool) {
	kinds := Kinds()
	i := slices.IndexFunc(kinds, func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, false
	}
	return kinds[i], true
}

// Describe lists the kinds with their parameters (`GET /infrastructures`).
func Describe() []api.KindInfo {
	var out []api.KindInfo
	for _, k := range Kinds() {
		out = append(out, api.KindInfo{Name: k.Name, Summary: k.Summary, Params: slices.Clone(k.Params)})
	}
	return out
}

// New validates spec and builds its infrastructure; an empty type means
// DefaultKind. Every problem is reported at once: an unknown kind on the
// field "type", parameter problems on "params.<name>" (callers may prefix
// the fields, "infrastructure.type"). The infrastructure is nil when there
// is a problem.
func New(spec api.PluginSpec, env Env) (Infrastructure, []api.FieldError) {
	name := strings.TrimSpace(spec.Type)
	if name == "" {
		name = DefaultKind
	}
	k, ok := Lookup(name)
	if !ok {
		return nil, []api.FieldError{{Field: "type", Message: unknownKind(name)}}
	}
	inf, errs := k.New(spec.Params, env)
	if len(errs) > 0 {
		return nil, errs
	}
	return inf, nil
}

func unknownKind(name string) string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	msg := fmt.Sprintf("unknown infrastructure %q", name)
	if s := didyoumean.Closest(name, names, nil); s != "" {
		return msg + fmt.Sprintf("; did you mean %q?", s)
	}
	return msg + " (known: " + strings.Join(names, ", ") + ")"
}

// parse checks params against spec and gives the values to build, which
// may add its own checks; it returns the infrastructure only when there
// was no problem.
func parse[T Infrastructure](spec []api.Param, params map[string]string, build func(*policies.Values) T) (Infrastructure, []api.FieldError) {
	v := policies.ParseParams(spec, params)
	inf := build(v)
	if errs := v.Errors(); len(errs) > 0 {
		return nil, errs
	}
	return inf, nil
}
