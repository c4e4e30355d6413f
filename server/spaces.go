package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
	"github.com/shrike-grid/shrike/rest"
)

// TransferKeyFile holds the key that signs nodes' transfer capabilities
// (data dir, mode 0600): tokens stay valid across a server restart.
const TransferKeyFile = "transfer-key"

// Capability bits: which spaces a transfer token may write.
const (
	capWriteUser   = 1 << 0
	capWriteGlobal = 1 << 1
)

// capability is what a node's transfer token grants: the spaces of one
// job for one attempt of one task.
type capability struct {
	jobID, taskID int64
	attempt       int
	write         uint8
}

// transferToken signs a capability: base64(job, task, attempt, write bits,
// HMAC-SHA256 of them).
func (s *Server) transferToken(c capability) string {
	var b [8 + 8 + 4 + 1 + sha256.Size]byte
	binary.BigEndian.PutUint64(b[0:], uint64(c.jobID))
	binary.BigEndian.PutUint64(b[8:], uint64(c.taskID))
	binary.BigEndian.PutUint32(b[16:], uint32(c.attempt))
	b[20] = c.write
	mac := hmac.New(sha256.New, s.transferKey)
	mac.Write(b[:21])
	copy(b[21:], mac.Sum(nil))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

var errBadCapability = api.Errorf(api.CodeUnauthorized, "invalid or expired transfer token")

// parseCapability checks a token's signature.
func (s *Server) parseCapability(token string) (capability, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 21+sha256.Size {
		return capability{}, errBadCapability
	}
	mac := hmac.New(sha256.New, s.transferKey)
	mac.Write(b[:21])
	if !hmac.Equal(mac.Sum(nil), b[21:]) {
		return capability{}, errBadCapability
	}
	return capability{jobID: int64(binary.BigEndian.Uint64(b[0:])), taskID: int64(binary.BigEndian.Uint64(b[8:])),
		attempt: int(binary.BigEndian.Uint32(b[16:])), write: b[20]}, nil
}

// staging is the Staging of t's current attempt, nil when it moves no
// files. Called with s.mu held.
func (s *Server) staging(t *taskState) *api.Staging {
	spec := t.spec
	if len(spec.InputFiles) == 0 && len(spec.OutputFiles) == 0 {
		return nil
	}
	c := capability{jobID: t.rec.JobID, taskID: t.rec.ID, attempt: t.rec.Attempt}
	for _, o := range spec.OutputFiles {
		switch o.To {
		case api.SpaceUser:
			c.write |= capWriteUser
		case api.SpaceGlobal:
			c.write |= capWriteGlobal
		}
	}
	url := s.apiURL()
	// The job's own spaces exist before its first task moves files.
	for _, sp := range []string{api.SpaceInput, api.SpaceOutput} {
		if _, err := s.jobSpace(t.rec.JobID, t.job.rec.Owner, &t.job.spec, sp); err != nil {
			s.log.Warn("creating a job's space", "job", t.rec.JobID, "space", sp, "err", err)
		}
	}
	st := &api.Staging{ServerURL: url, Token: s.transferToken(c), Inputs: spec.InputFiles, Outputs: spec.OutputFiles}
	if n := s.reg.Get(t.rec.Node); n != nil {
		st.Local = localSpaces(n.Facts.SharedSpaces, t.job.rec.Owner, t.rec.JobID, &t.job.spec)
	}
	return st
}

// localSpaces maps the spaces a node sees on a shared file system
// (--shared-space) to the paths a task of owner's job jobID uses there;
// the node copies those files directly instead of over HTTP.
func localSpaces(shared map[string]string, owner string, jobID int64, spec *api.JobSpec) map[string]string {
	if len(shared) == 0 {
		return nil
	}
	out := map[string]string{}
	if p, ok := shared[api.SharedSpaceGlobal]; ok {
		out[api.SpaceGlobal] = p
	}
	if p, ok := shared[api.SharedSpaceUserPrefix+owner]; ok {
		out[api.SpaceUser] = p
	}
	for _, sp := range []string{api.SpaceInput, api.SpaceOutput} {
		ref := spec.InputSpace
		if sp == api.SpaceOutput {
			ref = spec.OutputSpace
		}
		if ref == "" {
			if p, ok := shared[api.SharedSpaceJobs]; ok {
				out[sp] = filepath.Join(p, strconv.FormatInt(jobID, 10), sp)
			}
			continue
		}
		kind, rel, err := dataspace.ParseRef(ref)
		if err != nil {
			continue
		}
		if base, ok := out[kind]; ok { // the user or global space, shared
			out[sp] = filepath.Join(base, filepath.FromSlash(rel))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// jobSpace is a job's input or output space: its own directory, or the
// folder of the owner's user space or of the global space that the job
// points it at (input_space, output_space).
func (s *Server) jobSpace(jobID int64, owner string, spec *api.JobSpec, space string) (*dataspace.Space, error) {
	ref := spec.InputSpace
	if space == api.SpaceOutput {
		ref = spec.OutputSpace
	}
	if ref == "" {
		return s.spaces.Job(jobID, space, owner)
	}
	kind, rel, err := dataspace.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	base, err := s.spaces.UserOrGlobal(kind, owner)
	if err != nil {
		return nil, err
	}
	return base.Sub(rel)
}

// TransferSpace implements rest.Backend: a node's capability opens its
// job's input (read) and output (read, write) spaces, the owner's user
// space and the global one (read; write when the task declares outputs
// there, global only for an admin's job), while the attempt is current.
func (s *Server) TransferSpace(_ context.Context, token, space string) (*dataspace.Space, bool, error) {
	c, err := s.parseCapability(token)
	if err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	t := s.tasks[c.taskID]
	live := t != nil && t.rec.JobID == c.jobID && t.rec.Attempt == c.attempt && api.TaskState(t.rec.State) == api.TaskRunning
	owner := ""
	var spec *api.JobSpec
	if live {
		owner, spec = t.job.rec.Owner, &t.job.spec
	}
	s.mu.Unlock()
	if !live {
		return nil, false, errBadCapability
	}
	switch space {
	case api.SpaceInput, api.SpaceOutput:
		sp, err := s.jobSpace(c.jobID, owner, spec, space)
		return sp, space == api.SpaceOutput, spaceErr(err)
	case api.SpaceUser:
		sp, err := s.spaces.UserOrGlobal(api.SpaceUser, owner)
		return sp, c.write&capWriteUser != 0, spaceErr(err)
	case api.SpaceGlobal:
		sp, err := s.spaces.UserOrGlobal(api.SpaceGlobal, "")
		return sp, c.write&capWriteGlobal != 0 && s.mayWriteGlobalUser(owner), spaceErr(err)
	}
	return nil, false, api.Errorf(api.CodeForbidden, "unknown space %q: input, output, user or global", space)
}

// mayWriteGlobal reports whether p may write the global space: admins,
// and those global_writers names.
func (s *Server) mayWriteGlobal(p rest.Principal) bool {
	return p.IsAdmin() || matches(s.cfg.GlobalWriters, p.Name, p.Groups)
}

// mayWriteGlobalUser is mayWriteGlobal for a job's owner (from the store).
func (s *Server) mayWriteGlobalUser(user string) bool {
	u, err := s.store.GetUser(context.Background(), user)
	return err == nil && s.mayWriteGlobal(rest.Principal{Name: u.Name, Role: u.Role, Groups: u.Groups})
}

// Space implements rest.Backend.
func (s *Server) Space(_ context.Context, p rest.Principal, space string) (*dataspace.Space, bool, error) {
	switch space {
	case api.SpaceUser:
		sp, err := s.spaces.UserOrGlobal(api.SpaceUser, p.Name)
		return sp, true, spaceErr(err)
	case api.SpaceGlobal:
		sp, err := s.spaces.UserOrGlobal(api.SpaceGlobal, "")
		return sp, s.mayWriteGlobal(p), spaceErr(err)
	}
	return nil, false, api.Invalid([]api.FieldError{{Field: "space", Message: fmt.Sprintf("%q: use global or user", space)}})
}

// JobSpace implements rest.Backend.
func (s *Server) JobSpace(ctx context.Context, p rest.Principal, jobID int64, space string) (*dataspace.Space, error) {
	if space != api.SpaceInput && space != api.SpaceOutput {
		return nil, api.Invalid([]api.FieldError{{Field: "space", Message: fmt.Sprintf("%q: use input or output", space)}})
	}
	job, err := s.GetJob(ctx, p, jobID)
	if err != nil {
		return nil, err
	}
	spec, err := s.GetJobSpec(ctx, p, jobID)
	if err != nil {
		return nil, err
	}
	sp, err := s.jobSpace(jobID, job.Owner, &spec, space)
	return sp, spaceErr(err)
}

// spaceErr maps dataspace errors to API codes.
func spaceErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, dataspace.ErrBadPath):
		return api.Invalid([]api.FieldError{{Field: "path", Message: err.Error()}})
	case errors.Is(err, dataspace.ErrNotFound):
		return api.Errorf(api.CodeNotFound, "%v", err)
	}
	return err
}

// openSpaces opens the dataspace store and the transfer key.
func (s *Server) openSpaces() error {
	key, _, err := loadOrCreateSecret(filepath.Join(s.cfg.DataDir, TransferKeyFile))
	if err != nil {
		return fmt.Errorf("transfer key: %w", err)
	}
	s.transferKey = []byte(key)
	s.spaces, err = dataspace.Open(filepath.Join(s.cfg.DataDir, "spaces"), dataspace.Options{UserQuota: s.cfg.UserQuota})
	if err != nil {
		return fmt.Errorf("dataspaces: %w", err)
	}
	return nil
}

// partialUploadAge is how long an interrupted upload may wait for its
// resumption before its part file is deleted.
const partialUploadAge = 24 * time.Hour

// sweepLoop deletes abandoned partial uploads every hour.
func (s *Server) sweepLoop(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if n, err := s.spaces.Sweep(s.now(), partialUploadAge); err != nil {
			s.log.Warn("sweeping abandoned uploads", "err", err)
		} else if n > 0 {
			s.log.Info("abandoned partial uploads deleted", "files", n)
		}
	}
}
