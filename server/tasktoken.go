package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// taskTokenPrefix marks a job-scoped token, so Authenticate tells it from
// a session token without a store lookup.
const taskTokenPrefix = "shrt_"

// taskTokenDomain separates the MAC of a job-scoped token from that of a
// transfer token (same key): one can never pass for the other.
const taskTokenDomain = "shrike task api token v1\x00"

// taskToken is the job-scoped API token of t's current attempt:
// taskTokenPrefix + base64(job, task, attempt, HMAC-SHA256 of them). It
// needs no storage and survives a server restart; it is honoured only
// while that attempt runs (taskPrincipal). Called with s.mu held.
func (s *Server) taskToken(t *taskState) string {
	var b [8 + 8 + 4 + sha256.Size]byte
	binary.BigEndian.PutUint64(b[0:], uint64(t.rec.JobID))
	binary.BigEndian.PutUint64(b[8:], uint64(t.rec.ID))
	binary.BigEndian.PutUint32(b[16:], uint32(t.rec.Attempt))
	copy(b[20:], s.taskTokenMAC(b[:20]))
	return taskTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func (s *Server) taskTokenMAC(payload []byte) []byte {
	mac := hmac.New(sha256.New, s.transferKey)
	mac.Write([]byte(taskTokenDomain))
	mac.Write(payload)
	return mac.Sum(nil)
}

var errTaskToken = api.Errorf(api.CodeUnauthorized, "invalid job-scoped token, or its task attempt is over")

// taskPrincipal resolves a job-scoped token: the job's owner as a user,
// scoped to the attempt, which must still run.
func (s *Server) taskPrincipal(token string) (rest.Principal, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, taskTokenPrefix))
	if err != nil || len(b) != 20+sha256.Size || !hmac.Equal(s.taskTokenMAC(b[:20]), b[20:]) {
		return rest.Principal{}, errTaskToken
	}
	jobID, taskID := int64(binary.BigEndian.Uint64(b[0:])), int64(binary.BigEndian.Uint64(b[8:]))
	attempt := int(binary.BigEndian.Uint32(b[16:]))
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tasks[taskID]
	if t == nil || t.rec.JobID != jobID || t.rec.Attempt != attempt || api.TaskState(t.rec.State) != api.TaskRunning {
		return rest.Principal{}, errTaskToken
	}
	owner := t.job.rec.Owner
	return rest.Principal{Name: owner, Role: api.RoleUser, Groups: s.userGroups[owner],
		Scope: &rest.TaskScope{JobID: jobID, TaskID: taskID, Task: t.rec.Name, Attempt: attempt}}, nil
}

// apiURL is the REST URL given to nodes (transfers, job-scoped tokens).
func (s *Server) apiURL() string {
	if s.cfg.AdvertiseURL != "" {
		return s.cfg.AdvertiseURL
	}
	return s.URL()
}
