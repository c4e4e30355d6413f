package resttest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/scripts"
)

var _ rest.Backend = (*FakeBackend)(nil)

// DefaultLimit is the page size ListJobs uses when the query has none.
const DefaultLimit = 20

// FakeBackend is an in-memory rest.Backend. It is safe for concurrent use.
// Users see and act on their own jobs only; admins on all.
type FakeBackend struct {
	mu        sync.Mutex
	now       time.Time
	users     map[string]fakeUser
	tokens    map[string]string         // token → user name
	scopes    map[string]rest.TaskScope // job-scoped tokens (AddScopedToken)
	jobs      map[int64]*fakeJob
	scripts   map[int64][]api.JobState // states the next GetJob calls apply
	nextJob   int64
	nextToken int
	nodes     []api.Node
	events    []api.NodeEvent // node events, Seq 1, 2, ...
	samples   []api.RMSample  // what RMHistory answers
	fail      error
	warnings  []string
	lastQuery rest.JobQuery
	submitted []api.JobSpec
	logCalls  int
	sources   map[string]*fakeSource
	nextEnrol int
	facts     map[string]api.NodeFacts // SetNodeFacts
	factsGen  uint64                   // bumped when any node's facts change
	engine    *scripts.Engine
	verdicts  *scripts.VerdictCache
	spaces    *dataspace.Store         // OpenSpaces
	transfers map[string]transferGrant // TransferToken
	feed      eventLog                 // PublishEvent, Events
	sched     api.SchedulerStatus      // the zero value reads STARTED
	queues    []api.Queue              // SetQueues
}

type fakeUser struct {
	user     api.User
	password string
}

type fakeJob struct {
	job  api.Job
	spec api.JobSpec
	logs map[string]*fakeLog
	// results and serverLog are set by SetResult and AddServerLog.
	results   map[string]json.RawMessage
	serverLog []api.ServerLogLine
}

type fakeLog struct {
	data []byte
	done bool
}

// NewFakeBackend returns an empty backend whose clock reads a fixed time.
func NewFakeBackend() *FakeBackend {
	return &FakeBackend{
		now:      time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		users:    map[string]fakeUser{},
		tokens:   map[string]string{},
		jobs:     map[int64]*fakeJob{},
		scripts:  map[int64][]api.JobState{},
		sources:  map[string]*fakeSource{},
		facts:    map[string]api.NodeFacts{},
		engine:   newScriptEngine(),
		verdicts: scripts.NewVerdictCache(0),
	}
}

// AddUser creates a user and returns a token already logged in as them.
func (f *FakeBackend) AddUser(name, password, role string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[name] = fakeUser{user: api.User{Name: name, Role: role, CreatedAt: f.now}, password: password}
	return f.newTokenLocked(name)
}

// SetGroups sets the groups of a user (node-source access names them).
func (f *FakeBackend) SetGroups(name string, groups ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.users[name]
	u.user.Groups = slices.Clone(groups)
	f.users[name] = u
}

func (f *FakeBackend) newTokenLocked(name string) string {
	f.nextToken++
	tok := fmt.Sprintf("token-%d-%s", f.nextToken, name)
	f.tokens[tok] = name
	return tok
}

// FailWith makes every job, node, RM and user method return err until it is
// called again with nil. Login and Authenticate keep working.
func (f *FakeBackend) FailWith(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

// SetWarnings sets the warnings SubmitJob answers with.
func (f *FakeBackend) SetWarnings(w ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.warnings = w
}

// LastQuery returns the query of the latest ListJobs call.
func (f *FakeBackend) LastQuery() rest.JobQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastQuery
}

// Submitted returns the specs of every job submitted so far.
func (f *FakeBackend) Submitted() []api.JobSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.JobSpec(nil), f.submitted...)
}

// TaskLogCalls returns how often TaskLog was called.
func (f *FakeBackend) TaskLogCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logCalls
}

// Login implements rest.Backend.
func (f *FakeBackend) Login(_ context.Context, username, password string) (api.LoginResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[username]
	if !ok || u.password != password {
		return api.LoginResponse{}, api.Errorf(api.CodeUnauthorized, "wrong user name or password")
	}
	return api.LoginResponse{
		Token:     f.newTokenLocked(username),
		ExpiresAt: f.now.Add(24 * time.Hour),
		Username:  username,
		Role:      u.user.Role,
	}, nil
}

// Authenticate implements rest.Backend.
func (f *FakeBackend) Authenticate(_ context.Context, token string) (rest.Principal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name, ok := f.tokens[token]
	if !ok {
		return rest.Principal{}, api.Errorf(api.CodeUnauthorized, "unknown or expired token")
	}
	u := f.users[name].user
	p := rest.Principal{Name: name, Role: u.Role, Groups: slices.Clone(u.Groups)}
	if sc, ok := f.scopes[token]; ok {
		p.Role, p.Scope = api.RoleUser, &sc
	}
	return p, nil
}

// AddScopedToken returns a token that authenticates as user name with
// scope, as a running task's job-scoped token does (the fake does not
// keep scoped callers to their tree: the REST layer's route check is what
// it serves to test).
func (f *FakeBackend) AddScopedToken(name string, scope rest.TaskScope) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := f.newTokenLocked(name)
	if f.scopes == nil {
		f.scopes = map[string]rest.TaskScope{}
	}
	f.scopes[tok] = scope
	return tok
}

// Logout implements rest.Backend.
func (f *FakeBackend) Logout(_ context.Context, token string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tokens, token)
	return nil
}

// CreateUser implements rest.Backend.
func (f *FakeBackend) CreateUser(_ context.Context, p rest.Principal, req api.CreateUserRequest) (api.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return api.User{}, f.fail
	}
	if !p.IsAdmin() {
		return api.User{}, api.Errorf(api.CodeForbidden, "only admins may create users")
	}
	var errs []api.FieldError
	if req.Name == "" {
		errs = append(errs, api.FieldError{Field: "name", Message: "required"})
	}
	if req.Password == "" {
		errs = append(errs, api.FieldError{Field: "password", Message: "required"})
	}
	if req.Role != api.RoleAdmin && req.Role != api.RoleUser {
		errs = append(errs, api.FieldError{Field: "role", Message: "must be admin or user"})
	}
	for i, g := range req.Groups {
		if strings.TrimSpace(g) == "" || strings.ContainsAny(g, ",: ") {
			errs = append(errs, api.FieldError{Field: fmt.Sprintf("groups[%d]", i),
				Message: "want a group name without spaces, ',' or ':'"})
		}
	}
	if len(errs) > 0 {
		return api.User{}, api.Invalid(errs)
	}
	if _, ok := f.users[req.Name]; ok {
		return api.User{}, api.Errorf(api.CodeConflict, "user %s already exists", req.Name)
	}
	u := api.User{Name: req.Name, Role: req.Role, Groups: slices.Clone(req.Groups), CreatedAt: f.now}
	f.users[req.Name] = fakeUser{user: u, password: req.Password}
	return u, nil
}

// ListUsers implements rest.Backend.
func (f *FakeBackend) ListUsers(_ context.Context, p rest.Principal) ([]api.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if !p.IsAdmin() {
		return nil, api.Errorf(api.CodeForbidden, "only admins may list users")
	}
	users := make([]api.User, 0, len(f.users))
	for _, u := range f.users {
		users = append(users, u.user)
	}
	sort.Slice(users, func(i, j int) bool { return users[i].Name < users[j].Name })
	return users, nil
}
