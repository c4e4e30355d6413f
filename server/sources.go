package server

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/policies"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/rm"
	"github.com/shrike-grid/shrike/rm/infra"
	"github.com/shrike-grid/shrike/store"
)

// DefaultSource is the node source of nodes that join with the server's
// own node token (the node-token file): enroll infrastructure, static
// policy, usable by everyone. It is created at first start.
const DefaultSource = "default"

// source is a node source in memory. Guarded by s.mu.
type source struct {
	spec      api.NodeSourceSpec
	status    api.NodeSourceStatus
	owner     string
	createdAt time.Time
	// infra and policy exist while the source is deployed (or undeploying).
	infra  infra.Infrastructure
	policy policies.Policy
	pstate policies.State
	// preempt: an undeploy that kills running tasks.
	preempt      bool
	lastErr      string
	lastDecision string
	nextCheck    time.Time
	// nextIndex numbers the nodes the source deploys (<name>-<index>).
	nextIndex int
}

func (src *source) record() store.SourceRecord {
	spec, _ := json.Marshal(src.spec)
	st, _ := json.Marshal(src.pstate)
	return store.SourceRecord{Name: src.spec.Name, Spec: spec, Status: string(src.status), Owner: src.owner,
		CreatedAt: src.createdAt, PolicyState: st}
}

var (
	sourceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`)
	nodeTokenRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	principalRE  = regexp.MustCompile(`^(user|group):[A-Za-z0-9_.-]{1,64}$`)
)

// matches reports whether p is named by list ("*", "user:NAME",
// "group:NAME").
func matches(list []string, user string, groups []string) bool {
	for _, e := range list {
		switch {
		case e == api.AccessEveryone:
			return true
		case strings.HasPrefix(e, "user:") && e[5:] == user:
			return true
		case strings.HasPrefix(e, "group:") && slices.Contains(groups, e[6:]):
			return true
		}
	}
	return false
}

// mayAdmin reports whether p may administer the source.
func (src *source) mayAdmin(p rest.Principal) bool {
	return p.IsAdmin() || matches(src.spec.Access.Admin, p.Name, p.Groups)
}

// mayUse reports whether tasks of user (in groups) may run on the source's
// nodes.
func (src *source) mayUse(user string, groups []string) bool {
	return len(src.spec.Access.Use) == 0 || matches(src.spec.Access.Use, user, groups)
}

// adminSource returns a source p may administer. Called with s.mu held.
func (s *Server) adminSource(p rest.Principal, name string) (*source, error) {
	src := s.sources[name]
	if src == nil {
		return nil, api.Errorf(api.CodeNotFound, "node source %s not found", name)
	}
	if !src.mayAdmin(p) {
		return nil, api.Errorf(api.CodeForbidden, "you do not administer node source %s", name)
	}
	return src, nil
}

// infraEnv is what the infrastructure of source name gets.
func (s *Server) infraEnv(name string) infra.Env {
	agent := s.cfg.AgentBinary
	if agent == "" {
		agent, _ = os.Executable()
	}
	return infra.Env{Source: name, DataDir: filepath.Join(s.cfg.DataDir, "sources", name), AgentPath: agent,
		Logger: s.log.With("source", name), Notify: s.kickSources}
}

// validateSource checks a whole spec and reports every problem. It builds
// the infrastructure and policy to check their parameters (building one
// touches no network) and returns them.
func (s *Server) validateSource(spec api.NodeSourceSpec) (infra.Infrastructure, policies.Policy, []api.FieldError) {
	var errs []api.FieldError
	if !sourceNameRE.MatchString(spec.Name) {
		errs = append(errs, api.FieldError{Field: "name", Message: "use letters, digits, '-' and '_' (at most 40, starting with a letter or digit)"})
	}
	if len(spec.Description) > 500 {
		errs = append(errs, api.FieldError{Field: "description", Message: "at most 500 characters"})
	}
	var inf infra.Infrastructure
	if spec.Infrastructure.Type == "" {
		errs = append(errs, api.FieldError{Field: "infrastructure.type", Message: "required (" + strings.Join(infraNames(), ", ") + ")"})
	} else {
		var ierrs []api.FieldError
		inf, ierrs = infra.New(spec.Infrastructure, s.infraEnv(spec.Name))
		errs = append(errs, prefixed("infrastructure.", ierrs)...)
	}
	var pol policies.Policy
	if spec.Policy.Type == "" {
		errs = append(errs, api.FieldError{Field: "policy.type", Message: "required (" + strings.Join(policyNames(), ", ") + ")"})
	} else {
		var perrs []api.FieldError
		pol, perrs = policies.New(spec.Policy.Type, spec.Policy.Params)
		errs = append(errs, prefixed("policy.", perrs)...)
	}
	for i, e := range spec.Access.Use {
		if e != api.AccessEveryone && !principalRE.MatchString(e) {
			errs = append(errs, api.FieldError{Field: fmt.Sprintf("access.use[%d]", i), Message: fmt.Sprintf("%q: use \"*\", \"user:NAME\" or \"group:NAME\"", e)})
		}
	}
	for i, e := range spec.Access.Admin {
		if !principalRE.MatchString(e) {
			errs = append(errs, api.FieldError{Field: fmt.Sprintf("access.admin[%d]", i), Message: fmt.Sprintf("%q: use \"user:NAME\" or \"group:NAME\"", e)})
		}
	}
	for i, t := range spec.NodeTokens {
		if !nodeTokenRE.MatchString(t) {
			errs = append(errs, api.FieldError{Field: fmt.Sprintf("node_tokens[%d]", i), Message: fmt.Sprintf("%q: use letters, digits, '.', '-' and '_' (at most 64)", t)})
		}
	}
	if len(errs) > 0 {
		if inf != nil {
			_ = inf.Close()
		}
		return nil, nil, errs
	}
	return inf, pol, nil
}

func prefixed(prefix string, errs []api.FieldError) []api.FieldError {
	for i := range errs {
		errs[i].Field = prefix + errs[i].Field
	}
	return errs
}

func infraNames() []string {
	var out []string
	for _, k := range infra.Kinds() {
		out = append(out, k.Name)
	}
	return out
}

func policyNames() []string {
	var out []string
	for _, k := range policies.Kinds() {
		out = append(out, k.Name)
	}
	return out
}

// Infrastructures implements rest.Backend.
func (s *Server) Infrastructures(context.Context) []api.KindInfo { return infra.Describe() }

// Policies implements rest.Backend.
func (s *Server) Policies(context.Context) []api.KindInfo {
	var out []api.KindInfo
	for _, k := range policies.Kinds() {
		out = append(out, api.KindInfo{Name: k.Name, Summary: k.Summary, Params: k.Describe()})
	}
	return out
}

// redactedSpec is spec with secret parameter values replaced.
func redactedSpec(spec api.NodeSourceSpec) api.NodeSourceSpec {
	out := spec
	if k, ok := infra.Lookup(spec.Infrastructure.Type); ok {
		out.Infrastructure.Params = policies.Redact(k.Params, spec.Infrastructure.Params)
	}
	if k, ok := policies.Lookup(spec.Policy.Type); ok {
		out.Policy.Params = policies.Redact(k.Describe(), spec.Policy.Params)
	}
	out.Access.Use = slices.Clone(spec.Access.Use)
	out.Access.Admin = slices.Clone(spec.Access.Admin)
	out.NodeTokens = slices.Clone(spec.NodeTokens)
	out.Deploy = false
	return out
}

// sourceView is the REST view of src. Called with s.mu held.
func (s *Server) sourceView(src *source) api.NodeSource {
	v := api.NodeSource{NodeSourceSpec: redactedSpec(src.spec), Status: src.status, Owner: src.owner,
		CreatedAt: src.createdAt, Nodes: map[api.NodeState]int{}, LastError: src.lastErr, LastDecision: src.lastDecision}
	for _, n := range s.sourceNodes(src.spec.Name) {
		v.Nodes[n.State]++
	}
	if !src.nextCheck.IsZero() {
		v.NextCheck = timePtr(src.nextCheck)
	}
	return v
}

// ListSources implements rest.Backend: the sources p may use or administer.
func (s *Server) ListSources(_ context.Context, p rest.Principal) ([]api.NodeSource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []api.NodeSource{}
	for _, name := range slices.Sorted(maps.Keys(s.sources)) {
		src := s.sources[name]
		if src.mayAdmin(p) || src.mayUse(p.Name, p.Groups) {
			out = append(out, s.sourceView(src))
		}
	}
	return out, nil
}

// GetSource implements rest.Backend.
func (s *Server) GetSource(_ context.Context, p rest.Principal, name string) (api.NodeSource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src := s.sources[name]
	if src == nil || !(src.mayAdmin(p) || src.mayUse(p.Name, p.Groups)) {
		return api.NodeSource{}, api.Errorf(api.CodeNotFound, "node source %s not found", name)
	}
	return s.sourceView(src), nil
}

// CreateSource implements rest.Backend (admins only).
func (s *Server) CreateSource(_ context.Context, p rest.Principal, spec api.NodeSourceSpec) (api.NodeSource, error) {
	if err := requireAdmin(p, "create node sources"); err != nil {
		return api.NodeSource{}, err
	}
	inf, pol, errs := s.validateSource(spec)
	if len(errs) > 0 {
		return api.NodeSource{}, api.Invalid(errs)
	}
	if self := "user:" + p.Name; !slices.Contains(spec.Access.Admin, self) {
		spec.Access.Admin = append(spec.Access.Admin, self)
	}
	deploy := spec.Deploy
	spec.Deploy = false
	var c change
	s.mu.Lock()
	if s.sources[spec.Name] != nil {
		s.mu.Unlock()
		_ = inf.Close()
		return api.NodeSource{}, api.Errorf(api.CodeConflict, "node source %s already exists", spec.Name)
	}
	src := &source{spec: spec, status: api.SourceUndeployed, owner: p.Name, createdAt: s.now(), nextIndex: 1}
	s.sources[spec.Name] = src
	return s.storeSource(src, inf, pol, deploy, &c)
}

// storeSource deploys src with inf and pol (or closes inf), stores it and
// returns its view once durable. Called with s.mu held; it releases it.
func (s *Server) storeSource(src *source, inf infra.Infrastructure, pol policies.Policy, deploy bool, c *change) (api.NodeSource, error) {
	if deploy {
		s.deploy(src, inf, pol)
	} else {
		_ = inf.Close()
	}
	c.m.Sources = append(c.m.Sources, src.record())
	view := s.sourceView(src)
	s.seal(c)
	s.mu.Unlock()
	s.kickSources()
	return view, s.commitChange(c)
}

// deploy starts a source's policy. Called with s.mu held.
func (s *Server) deploy(src *source, inf infra.Infrastructure, pol policies.Policy) {
	if src.infra != nil && src.infra != inf {
		_ = src.infra.Close()
	}
	src.infra, src.policy, src.status, src.preempt = inf, pol, api.SourceDeployed, false
	src.lastErr, src.nextCheck = "", time.Time{}
}

// DeploySource implements rest.Backend.
func (s *Server) DeploySource(_ context.Context, p rest.Principal, name string) (api.NodeSource, error) {
	var c change
	s.mu.Lock()
	src, err := s.adminSource(p, name)
	if err != nil {
		s.mu.Unlock()
		return api.NodeSource{}, err
	}
	if src.status != api.SourceDeployed {
		inf, pol, errs := s.validateSource(src.spec)
		if len(errs) > 0 {
			s.mu.Unlock()
			return api.NodeSource{}, api.Invalid(errs)
		}
		s.deploy(src, inf, pol)
		c.m.Sources = append(c.m.Sources, src.record())
	}
	view := s.sourceView(src)
	s.seal(&c)
	s.mu.Unlock()
	s.kickSources()
	return view, s.commitChange(&c)
}

// UndeploySource implements rest.Backend: the source keeps its definition
// and releases its nodes (waiting for their tasks unless preempt).
func (s *Server) UndeploySource(_ context.Context, p rest.Principal, name string, req api.UndeployRequest) (api.NodeSource, error) {
	var c change
	s.mu.Lock()
	src, err := s.adminSource(p, name)
	if err != nil {
		s.mu.Unlock()
		return api.NodeSource{}, err
	}
	if src.status != api.SourceUndeployed {
		s.undeploy(src, req.Preempt, "source undeployed by "+p.Name, &c)
	}
	view := s.sourceView(src)
	s.seal(&c)
	s.mu.Unlock()
	s.kickSources()
	return view, s.commitChange(&c)
}

// undeploy releases every node of src. Called with s.mu held.
func (s *Server) undeploy(src *source, preempt bool, why string, c *change) {
	src.status, src.preempt = api.SourceUndeploying, src.preempt || preempt
	src.policy = nil
	for _, n := range s.sourceNodes(src.spec.Name) {
		s.releaseNode(src, n, why, src.preempt, c)
	}
	s.finishUndeploy(src, c)
	c.m.Sources = append(c.m.Sources, src.record())
}

// finishUndeploy marks an undeploying source UNDEPLOYED once it has no
// nodes left. Called with s.mu held.
func (s *Server) finishUndeploy(src *source, c *change) {
	if src.status != api.SourceUndeploying || len(s.sourceNodes(src.spec.Name)) > 0 {
		return
	}
	src.status = api.SourceUndeployed
	if src.infra != nil {
		inf := src.infra
		c.after = append(c.after, func() { _ = inf.Close() })
		src.infra = nil
	}
	c.m.Sources = append(c.m.Sources, src.record())
}

// DeleteSource implements rest.Backend.
func (s *Server) DeleteSource(_ context.Context, p rest.Principal, name string, preempt bool) error {
	if name == DefaultSource {
		return api.Errorf(api.CodeConflict, "the %s source cannot be deleted (undeploy it to release its nodes)", DefaultSource)
	}
	var c change
	s.mu.Lock()
	src, err := s.adminSource(p, name)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	for _, n := range s.sourceNodes(name) {
		if !n.Empty() && !preempt {
			s.mu.Unlock()
			return api.Errorf(api.CodeConflict, "node %s of source %s runs %d attempt(s): undeploy the source and wait, or delete with preempt", n.Name, name, len(n.Allocs()))
		}
	}
	if src.status != api.SourceUndeployed {
		s.undeploy(src, true, "source deleted by "+p.Name, &c)
	}
	// Nodes still releasing are dropped now: the source is gone.
	for _, n := range s.sourceNodes(name) {
		s.forgetNode(n, p.Name, "source deleted by "+p.Name, &c)
	}
	if src.infra != nil {
		inf := src.infra
		c.after = append(c.after, func() { _ = inf.Close() })
	}
	for id, t := range s.enroll {
		if t.Source == name {
			delete(s.enroll, id)
			c.m.DeleteEnrollTokens = append(c.m.DeleteEnrollTokens, id)
		}
	}
	for node, cr := range s.creds {
		if cr.Source == name {
			s.revokeCredentials(node, &c)
		}
	}
	delete(s.sources, name)
	c.m.Sources = nil // the deletion below wins over any upsert of this change
	c.m.DeleteSources = append(c.m.DeleteSources, name)
	s.seal(&c)
	s.mu.Unlock()
	return s.commitChange(&c)
}

// UpdateSource implements rest.Backend. Parameters are merged by name (an
// empty value removes one); the result is validated as a whole. A deployed
// source continues with the new infrastructure and policy at once.
func (s *Server) UpdateSource(_ context.Context, p rest.Principal, name string, u api.NodeSourceUpdate) (api.NodeSource, error) {
	var c change
	s.mu.Lock()
	defer func() {
		if c.done == nil {
			s.mu.Unlock()
		}
	}()
	src, err := s.adminSource(p, name)
	if err != nil {
		return api.NodeSource{}, err
	}
	spec := src.spec
	spec.Infrastructure.Params = mergeParams(spec.Infrastructure.Params, u.InfrastructureParams)
	spec.Policy.Params = mergeParams(spec.Policy.Params, u.PolicyParams)
	if u.Description != nil {
		spec.Description = *u.Description
	}
	if u.Access != nil {
		spec.Access = *u.Access
	}
	if u.NodeTokens != nil {
		spec.NodeTokens = *u.NodeTokens
	}
	inf, pol, errs := s.validateSource(spec)
	if len(errs) > 0 {
		return api.NodeSource{}, api.Invalid(errs)
	}
	src.spec = spec
	return s.storeSource(src, inf, pol, src.status == api.SourceDeployed, &c)
}

// mergeParams returns base with upd applied: a value replaces, an empty
// one removes.
func mergeParams(base, upd map[string]string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range upd {
		if v == "" || v == policies.Redacted {
			if v == "" {
				delete(out, k)
			}
			continue // a redacted value read back and sent again keeps the secret
		}
		out[k] = v
	}
	return out
}

// ensureDefaultSource creates the default source and the enrollment token
// of the node-token file if they are missing. Called at start, before
// anything runs.
func (s *Server) ensureDefaultSource(ctx context.Context) error {
	var m store.Mutation
	if s.sources[DefaultSource] == nil {
		spec := api.NodeSourceSpec{Name: DefaultSource, Description: "nodes that join with the server's node token",
			Infrastructure: api.PluginSpec{Type: "enroll"}, Policy: api.PluginSpec{Type: policies.KindStatic}}
		src := &source{spec: spec, status: api.SourceDeployed, owner: "server", createdAt: s.now(), nextIndex: 1}
		s.sources[DefaultSource] = src
		m.Sources = append(m.Sources, src.record())
	}
	h := hashToken(s.nodeToken)
	if t, ok := s.enroll[nodeTokenID]; !ok || t.TokenHash != h {
		t := store.EnrollTokenRecord{ID: nodeTokenID, Source: DefaultSource, TokenHash: h, CreatedBy: "server",
			CreatedAt: s.now(), Description: "the server's node-token file"}
		s.enroll[nodeTokenID] = t
		m.EnrollTokens = append(m.EnrollTokens, t)
	}
	if m.Empty() {
		return nil
	}
	return s.store.Apply(ctx, m)
}

// loadSources rebuilds sources, enrollment tokens and credentials from the
// store at start and re-creates the infrastructure and policy of deployed
// sources. Called before anything runs.
func (s *Server) loadSources(ctx context.Context) error {
	recs, err := s.store.ListSources(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		src := &source{status: api.NodeSourceStatus(r.Status), owner: r.Owner, createdAt: r.CreatedAt, nextIndex: 1}
		if err := json.Unmarshal(r.Spec, &src.spec); err != nil {
			return fmt.Errorf("node source %s: stored spec: %w", r.Name, err)
		}
		if len(r.PolicyState) > 0 {
			_ = json.Unmarshal(r.PolicyState, &src.pstate)
		}
		s.sources[r.Name] = src
	}
	users, err := s.store.ListUsers(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		s.userGroups[u.Name] = u.Groups
	}
	toks, err := s.store.ListEnrollTokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range toks {
		s.enroll[t.ID] = t
	}
	creds, err := s.store.ListCredentials(ctx)
	if err != nil {
		return err
	}
	for _, cr := range creds {
		s.creds[cr.Node] = cr
		s.auth.set(cr.Node, cr.SecretHash)
	}
	if err := s.ensureDefaultSource(ctx); err != nil {
		return err
	}
	for name, src := range s.sources {
		for _, n := range s.sourceNodes(name) {
			if i := nodeIndex(name, n.Name); i >= src.nextIndex {
				src.nextIndex = i + 1
			}
		}
		stored := src.status
		if stored == api.SourceUndeployed {
			continue
		}
		inf, pol, errs := s.validateSource(src.spec)
		if len(errs) > 0 {
			src.lastErr = "stored definition no longer valid: " + api.Invalid(errs).Error()
			s.log.Error("node source not restored", "source", name, "err", src.lastErr)
			continue
		}
		s.deploy(src, inf, pol)
		if stored == api.SourceUndeploying {
			src.status, src.policy = api.SourceUndeploying, nil
		}
	}
	return nil
}

// sourceNodes returns the nodes of source name, by name. Called with s.mu
// held.
func (s *Server) sourceNodes(name string) []*rm.Node {
	var out []*rm.Node
	for _, n := range s.reg.Nodes() {
		if n.Source == name {
			out = append(out, n)
		}
	}
	return out
}

// nodeIndex is N of a node named "<source>-<N>", or 0.
func nodeIndex(source, node string) int {
	rest, ok := strings.CutPrefix(node, source+"-")
	if !ok {
		return 0
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 0 {
		return 0
	}
	return i
}
