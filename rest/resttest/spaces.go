package resttest

import (
	"context"
	"fmt"
	"slices"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
	"github.com/shrike-grid/shrike/rest"
)

// transferGrant is what a capability token of TransferToken opens.
type transferGrant struct {
	job   int64
	owner string
	write []string // spaces it may write besides the job's output
}

// OpenSpaces gives the backend real data spaces (a dataspace.Store) under
// dir, a test's temporary directory. Until it is called, the space
// methods answer CodeUnavailable.
func (f *FakeBackend) OpenSpaces(dir string, opts dataspace.Options) error {
	st, err := dataspace.Open(dir, opts)
	if err != nil {
		return fmt.Errorf("opening the fake's data spaces: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.spaces = st
	return nil
}

// TransferToken returns a node's capability token for job id, as the
// server puts in api.Staging: it opens the job's input space (read) and
// output space (read, write), its owner's user space and the global one
// (read; write when named in write). The job must exist.
func (f *FakeBackend) TransferToken(id int64, write ...string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok {
		panic(fmt.Sprintf("resttest: TransferToken of unknown job %d", id))
	}
	if f.transfers == nil {
		f.transfers = map[string]transferGrant{}
	}
	f.nextToken++
	tok := fmt.Sprintf("transfer-%d-job-%d", f.nextToken, id)
	f.transfers[tok] = transferGrant{job: id, owner: j.job.Owner, write: slices.Clone(write)}
	return tok
}

// Space implements rest.Backend: the global space (admins write it) or
// the caller's user space.
func (f *FakeBackend) Space(_ context.Context, p rest.Principal, space string) (*dataspace.Space, bool, error) {
	st, err := f.spaceStore()
	if err != nil {
		return nil, false, err
	}
	switch space {
	case api.SpaceGlobal:
		sp, err := st.UserOrGlobal(api.SpaceGlobal, "")
		return sp, p.IsAdmin(), err
	case api.SpaceUser:
		sp, err := st.UserOrGlobal(api.SpaceUser, p.Name)
		return sp, true, err
	}
	return nil, false, api.Invalid([]api.FieldError{{Field: "space",
		Message: fmt.Sprintf("unknown space %q: want global or user", space)}})
}

// JobSpace implements rest.Backend: the input or output space of a job
// the caller may see.
func (f *FakeBackend) JobSpace(_ context.Context, p rest.Principal, id int64, space string) (*dataspace.Space, error) {
	st, err := f.spaceStore()
	if err != nil {
		return nil, err
	}
	if space != api.SpaceInput && space != api.SpaceOutput {
		return nil, api.Invalid([]api.FieldError{{Field: "space",
			Message: fmt.Sprintf("unknown job space %q: want input or output", space)}})
	}
	f.mu.Lock()
	j, err := f.jobLocked(p, id)
	owner := ""
	if err == nil {
		owner = j.job.Owner
	}
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return st.Job(id, space, owner)
}

// TransferSpace implements rest.Backend for tokens of TransferToken.
func (f *FakeBackend) TransferSpace(_ context.Context, token, space string) (*dataspace.Space, bool, error) {
	st, err := f.spaceStore()
	if err != nil {
		return nil, false, err
	}
	f.mu.Lock()
	g, ok := f.transfers[token]
	f.mu.Unlock()
	if !ok {
		return nil, false, api.Errorf(api.CodeUnauthorized, "invalid or expired transfer token")
	}
	write := slices.Contains(g.write, space)
	switch space {
	case api.SpaceInput:
		sp, err := st.Job(g.job, space, g.owner)
		return sp, false, err
	case api.SpaceOutput:
		sp, err := st.Job(g.job, space, g.owner)
		return sp, true, err
	case api.SpaceUser:
		sp, err := st.UserOrGlobal(space, g.owner)
		return sp, write, err
	case api.SpaceGlobal:
		sp, err := st.UserOrGlobal(space, "")
		return sp, write, err
	}
	return nil, false, api.Errorf(api.CodeForbidden, "this transfer token does not open a %q space", space)
}

// spaceStore returns the store of OpenSpaces, or the error of a backend
// without one (or of FailWith).
func (f *FakeBackend) spaceStore() (*dataspace.Store, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if f.spaces == nil {
		return nil, api.Errorf(api.CodeUnavailable, "no data spaces: the test did not call OpenSpaces")
	}
	return f.spaces, nil
}
