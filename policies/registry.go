package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// The policy kinds.
const (
	KindStatic      = "static"
	KindTimeSlot    = "time-slot"
	KindCron        = "cron"
	KindRestartDown = "restart-down"
	KindElastic     = "elastic"
	KindWorkstation = "workstation"
)

// Kind is one kind of policy: its name, what it does, its parameters and
// how to build it from them.
type Kind struct {
	Name    string
	Summary string
	params  []Param
	build   func(v *values) Policy
}

// kinds is the registry, in the order users read about them.
var kinds = []Kind{staticKind, timeSlotKind, cronKind, restartDownKind, elasticKind, workstationKind}

// Kinds lists every policy kind.
func Kinds() []Kind { return slices.Clone(kinds) }

// Lookup finds a kind by name.
func Lookup(name string) (Kind, bool) {
	i := slices.IndexFunc(kinds, func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, false
	}
	return kinds[i], true
}

// Describe lists the kind's parameters (a copy).
func (k Kind) Describe() []Param { return slices.Clone(k.params) }

// New validates p and builds the policy. It reports every problem at once,
// each on the field "params.<name>"; the policy is nil when there is one.
func (k Kind) New(p Params) (Policy, []api.FieldError) {
	v := parseParams(k.params, p)
	pol := k.build(v)
	if errs := v.errors(); len(errs) > 0 {
		return nil, errs
	}
	return pol, nil
}

// New builds a policy of the named kind. An unknown kind is reported on
// the field "kind" (callers may prefix the fields, "policy.kind").
func New(kind string, p Params) (Policy, []api.FieldError) {
	k, ok := Lookup(kind)
	if !ok {
		names := make([]string, len(kinds))
		for i, known := range kinds {
			names[i] = known.Name
		}
		msg := fmt.Sprintf("unknown policy %q", kind)
		if s := suggest(kind, names); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else {
			msg += " (known: " + strings.Join(names, ", ") + ")"
		}
		return nil, []api.FieldError{{Field: "kind", Message: msg}}
	}
	return k.New(p)
}
