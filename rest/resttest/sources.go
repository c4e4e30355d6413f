package resttest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/policies"
	"github.com/shrike-grid/shrike/rest"
)

// DefaultInfrastructure is the kind of a source created without one.
const DefaultInfrastructure = "enroll"

// fakeSource is a node source as the fake keeps it: parameters in clear,
// enrollment tokens with their secrets.
type fakeSource struct {
	src    api.NodeSource
	tokens []fakeToken
}

type fakeToken struct {
	tok    api.EnrollToken // Token (the secret) included
	secret string
}

// AdvanceClock moves the fake's clock forward (enrollment tokens expire).
func (f *FakeBackend) AdvanceClock(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// Infrastructures implements rest.Backend.
func (f *FakeBackend) Infrastructures(context.Context) []api.KindInfo { return InfrastructureKinds() }

// Policies implements rest.Backend.
func (f *FakeBackend) Policies(context.Context) []api.KindInfo { return PolicyKinds() }

// ListSources implements rest.Backend: the sources the caller may use or
// administer, by name.
func (f *FakeBackend) ListSources(_ context.Context, p rest.Principal) ([]api.NodeSource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	var out []api.NodeSource
	for _, name := range slices.Sorted(maps.Keys(f.sources)) {
		if s := f.sources[name]; mayUse(p, s.src) {
			out = append(out, f.viewLocked(s))
		}
	}
	return out, nil
}

// GetSource implements rest.Backend; a source the caller may not use is
// not found.
func (f *FakeBackend) GetSource(_ context.Context, p rest.Principal, name string) (api.NodeSource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.sourceLocked(p, name)
	if err != nil {
		return api.NodeSource{}, err
	}
	return f.viewLocked(s), nil
}

// CreateSource implements rest.Backend (admins only): the kinds must
// exist and the parameters parse; every problem is reported at once.
func (f *FakeBackend) CreateSource(_ context.Context, p rest.Principal, spec api.NodeSourceSpec) (api.NodeSource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return api.NodeSource{}, f.fail
	}
	if !p.IsAdmin() {
		return api.NodeSource{}, api.Errorf(api.CodeForbidden, "only admins may create node sources")
	}
	if strings.TrimSpace(spec.Infrastructure.Type) == "" {
		spec.Infrastructure.Type = DefaultInfrastructure
	}
	errs := validateSpec(spec)
	if err := api.ValidateNodeName(spec.Name); err != nil {
		errs = append([]api.FieldError{{Field: "name", Message: err.Error()}}, errs...)
	}
	if len(errs) > 0 {
		return api.NodeSource{}, api.Invalid(errs)
	}
	if _, ok := f.sources[spec.Name]; ok {
		return api.NodeSource{}, api.Errorf(api.CodeConflict, "node source %s already exists", spec.Name)
	}
	deploy := spec.Deploy
	spec.Deploy = false
	if me := "user:" + p.Name; !slices.Contains(spec.Access.Admin, me) {
		spec.Access.Admin = append(slices.Clone(spec.Access.Admin), me)
	}
	s := &fakeSource{src: api.NodeSource{NodeSourceSpec: spec, Status: api.SourceUndeployed, Owner: p.Name, CreatedAt: f.now}}
	if deploy {
		f.deployLocked(s, p)
	}
	f.sources[spec.Name] = s
	return f.viewLocked(s), nil
}

// validateSpec checks a spec's kinds and parameters.
func validateSpec(spec api.NodeSourceSpec) []api.FieldError {
	var errs []api.FieldError
	if infra, ok := kindParams(InfrastructureKinds(), spec.Infrastructure.Type); ok {
		errs = append(errs, prefixed("infrastructure.",
			policies.ParseParams(infra, spec.Infrastructure.Params).Errors())...)
	} else {
		errs = append(errs, api.FieldError{Field: "infrastructure.type",
			Message: fmt.Sprintf("unknown infrastructure %q", spec.Infrastructure.Type)})
	}
	_, perrs := policies.New(spec.Policy.Type, spec.Policy.Params)
	for i := range perrs {
		if perrs[i].Field == "kind" {
			perrs[i].Field = "type"
		}
	}
	errs = append(errs, prefixed("policy.", perrs)...)
	for i, a := range append(slices.Clone(spec.Access.Use), spec.Access.Admin...) {
		if a != api.AccessEveryone && !strings.HasPrefix(a, "user:") && !strings.HasPrefix(a, "group:") {
			field := fmt.Sprintf("access.use[%d]", i)
			if i >= len(spec.Access.Use) {
				field = fmt.Sprintf("access.admin[%d]", i-len(spec.Access.Use))
			}
			errs = append(errs, api.FieldError{Field: field, Message: "want *, user:NAME or group:NAME, got " + a})
		}
	}
	return errs
}

// prefixed puts prefix before every field.
func prefixed(prefix string, errs []api.FieldError) []api.FieldError {
	for i := range errs {
		errs[i].Field = prefix + errs[i].Field
	}
	return errs
}

// UpdateSource implements rest.Backend (admins of the source): given
// parameters replace the current ones, an empty value removes one.
func (f *FakeBackend) UpdateSource(_ context.Context, p rest.Principal, name string, u api.NodeSourceUpdate) (api.NodeSource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.adminSourceLocked(p, name, "update")
	if err != nil {
		return api.NodeSource{}, err
	}
	spec := s.src.NodeSourceSpec
	spec.Infrastructure.Params = mergeParams(spec.Infrastructure.Params, u.InfrastructureParams)
	spec.Policy.Params = mergeParams(spec.Policy.Params, u.PolicyParams)
	if u.Description != nil {
		spec.Description = *u.Description
	}
	if u.Access != nil {
		spec.Access = *u.Access
	}
	if u.NodeTokens != nil {
		spec.NodeTokens = slices.Clone(*u.NodeTokens)
	}
	if errs := validateSpec(spec); len(errs) > 0 {
		return api.NodeSource{}, api.Invalid(errs)
	}
	s.src.NodeSourceSpec = spec
	return f.viewLocked(s), nil
}

// mergeParams applies changes to params: an empty value removes the name.
func mergeParams(params, changes map[string]string) map[string]string {
	if len(changes) == 0 {
		return params
	}
	out := maps.Clone(params)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range changes {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// DeploySource implements rest.Backend (admins of the source).
func (f *FakeBackend) DeploySource(_ context.Context, p rest.Principal, name string) (api.NodeSource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.adminSourceLocked(p, name, "deploy")
	if err != nil {
		return api.NodeSource{}, err
	}
	f.deployLocked(s, p)
	return f.viewLocked(s), nil
}

func (f *FakeBackend) deployLocked(s *fakeSource, p rest.Principal) {
	next := f.now.Add(time.Minute)
	s.src.Status = api.SourceDeployed
	s.src.LastDecision = "deployed by " + p.Name
	s.src.NextCheck = &next
}

// UndeploySource implements rest.Backend (admins of the source): a
// source with BUSY nodes is UNDEPLOYING unless the request preempts.
func (f *FakeBackend) UndeploySource(_ context.Context, p rest.Principal, name string, req api.UndeployRequest) (api.NodeSource, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.adminSourceLocked(p, name, "undeploy")
	if err != nil {
		return api.NodeSource{}, err
	}
	s.src.Status, s.src.NextCheck = api.SourceUndeployed, nil
	if f.busyLocked(name) > 0 && !req.Preempt {
		s.src.Status = api.SourceUndeploying
	}
	s.src.LastDecision = "undeployed by " + p.Name
	return f.viewLocked(s), nil
}

// DeleteSource implements rest.Backend (admins of the source): a source
// with BUSY nodes is a conflict unless preempt; its nodes go with it.
func (f *FakeBackend) DeleteSource(_ context.Context, p rest.Principal, name string, preempt bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.adminSourceLocked(p, name, "delete"); err != nil {
		return err
	}
	if busy := f.busyLocked(name); busy > 0 && !preempt {
		return api.Errorf(api.CodeConflict, "node source %s has %d busy node(s): undeploy it and wait, or preempt", name, busy)
	}
	delete(f.sources, name)
	f.nodes = slices.DeleteFunc(f.nodes, func(n api.Node) bool {
		if n.Source == name {
			f.recordLocked(n, "removed", p.Name, "node source deleted")
			return true
		}
		return false
	})
	return nil
}

// viewLocked is the REST view of a source: secrets redacted, node counts.
func (f *FakeBackend) viewLocked(s *fakeSource) api.NodeSource {
	v := s.src
	v.Infrastructure.Params = redact(InfrastructureKinds(), v.Infrastructure.Type, v.Infrastructure.Params)
	v.Policy.Params = redact(PolicyKinds(), v.Policy.Type, v.Policy.Params)
	v.Access.Use = slices.Clone(v.Access.Use)
	v.Access.Admin = slices.Clone(v.Access.Admin)
	v.NodeTokens = slices.Clone(v.NodeTokens)
	v.Nodes = map[api.NodeState]int{}
	for _, n := range f.nodes {
		if n.Source == s.src.Name {
			v.Nodes[n.State]++
		}
	}
	return v
}

// redact replaces the secret values of a kind's parameters.
func redact(kinds []api.KindInfo, kind string, params map[string]string) map[string]string {
	if params == nil {
		return nil
	}
	spec, _ := kindParams(kinds, kind)
	return policies.Redact(spec, params)
}

// busyLocked counts a source's BUSY nodes.
func (f *FakeBackend) busyLocked(source string) int {
	busy := 0
	for _, n := range f.nodes {
		if n.Source == source && n.State == api.NodeBusy {
			busy++
		}
	}
	return busy
}

// sourceLocked finds a source the caller may use; others are not found.
func (f *FakeBackend) sourceLocked(p rest.Principal, name string) (*fakeSource, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	s, ok := f.sources[name]
	if !ok || !mayUse(p, s.src) {
		return nil, api.Errorf(api.CodeNotFound, "node source %s not found", name)
	}
	return s, nil
}

// adminSourceLocked finds a source the caller administers.
func (f *FakeBackend) adminSourceLocked(p rest.Principal, name, verb string) (*fakeSource, error) {
	s, err := f.sourceLocked(p, name)
	if err != nil {
		return nil, err
	}
	if !mayAdmin(p, s.src) {
		return nil, api.Errorf(api.CodeForbidden, "only admins of node source %s may %s it", name, verb)
	}
	return s, nil
}

// mayUse reports whether p may run tasks on, or administer, a source.
func mayUse(p rest.Principal, s api.NodeSource) bool {
	return len(s.Access.Use) == 0 || grants(s.Access.Use, p) || mayAdmin(p, s)
}

// mayAdmin reports whether p administers a source.
func mayAdmin(p rest.Principal, s api.NodeSource) bool {
	return p.IsAdmin() || grants(s.Access.Admin, p)
}

// grants reports whether an access list names p.
func grants(list []string, p rest.Principal) bool {
	for _, a := range list {
		if a == api.AccessEveryone || a == "user:"+p.Name {
			return true
		}
		if g, ok := strings.CutPrefix(a, "group:"); ok && slices.Contains(p.Groups, g) {
			return true
		}
	}
	return false
}
