package storetest

import (
	"fmt"
	"time"

	"github.com/shrike-grid/shrike/store"
)

// zone is deliberately not UTC: stores must convert.
var zone = time.FixedZone("UTC+2", 2*3600)

// t0 is the suite's epoch, with microsecond precision.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897000, zone)

// at returns t0 plus m minutes.
func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }

// job is a PENDING-or-other job with every non-nullable field set.
func job(id int64, owner, state string) store.JobRecord {
	return store.JobRecord{
		ID:          id,
		Name:        fmt.Sprintf("job-%d", id),
		Owner:       owner,
		Priority:    3,
		State:       state,
		Spec:        []byte(fmt.Sprintf(`{"name":"job-%d","tasks":[]}`, id)),
		SubmittedAt: at(int(id)),
	}
}

// task is a task with every non-nullable field set and no times.
func task(id, jobID int64, idx int, state string) store.TaskRecord {
	return store.TaskRecord{
		ID:    id,
		JobID: jobID,
		Index: idx,
		Name:  fmt.Sprintf("t%d", idx),
		State: state,
	}
}

// fullTask is a task with every field set, nullable ones included.
func fullTask(id, jobID int64, idx int) store.TaskRecord {
	return store.TaskRecord{
		ID: id, JobID: jobID, Index: idx, Name: fmt.Sprintf("full-%d", idx),
		State: "FAILED", Attempt: 3, Failures: 2, NodeLosses: 1, Node: "n1",
		ExitCode: ptr(137), Error: "killed: walltime exceeded",
		DispatchedAt: ptr(at(10)), StartedAt: ptr(at(11)), FinishedAt: ptr(at(12)),
		Others: []string{"n2", "n2", "n3"}, RetryAt: ptr(at(13)), Avoid: []string{"n4", "n5"},
	}
}

// node is a node with every field set.
func node(name, state string) store.NodeRecord {
	return store.NodeRecord{
		Name: name, State: state, Instance: "inst-" + name,
		Facts:        []byte(`{"os":"linux","cpus":8}`),
		RegisteredAt: at(1), LastSeen: at(2),
		LockedBy: "admin", LockedAt: ptr(at(3)), LockReason: "disk swap", Draining: true,
		Source: "pool-" + name, StateSince: at(4), Handle: "slurm:" + name,
	}
}

// source is a node source with every field set.
func source(name, owner string) store.SourceRecord {
	return store.SourceRecord{
		Name: name, Spec: []byte(fmt.Sprintf(`{"name":%q,"infrastructure":{"kind":"local"}}`, name)),
		Status: "ACTIVE", Owner: owner, CreatedAt: at(5),
		PolicyState: []byte{0, 1, 0xff, '{'}, // bytes, not text
	}
}

// token is an enrollment token of src with every field set.
func token(id, src string) store.EnrollTokenRecord {
	return store.EnrollTokenRecord{
		ID: id, Source: src, TokenHash: "hash-" + id, OneTime: true, ExpiresAt: ptr(at(60)),
		CreatedBy: "alice", CreatedAt: at(6), Uses: 3, Description: "token " + id,
	}
}

// credential is the credential of node, in src.
func credential(node, src string) store.CredentialRecord {
	return store.CredentialRecord{Node: node, Source: src, SecretHash: "secret-" + node, CreatedAt: at(7)}
}

// The want* helpers normalise expected records to what a store returns:
// times in UTC without a monotonic reading, and empty byte slices as nil
// (a store may return either for an empty spec; norm* maps both to nil).

func utc(t time.Time) time.Time { return t.UTC().Round(0) }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return ptr(utc(*t))
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func wantJob(j store.JobRecord) store.JobRecord {
	j.SubmittedAt, j.FinishedAt = utc(j.SubmittedAt), utcPtr(j.FinishedAt)
	j.Spec = nilIfEmpty(j.Spec)
	return j
}

func wantJobs(js ...store.JobRecord) []store.JobRecord {
	out := make([]store.JobRecord, len(js))
	for i, j := range js {
		out[i] = wantJob(j)
	}
	return out
}

// normJobs maps empty specs to nil in records read from a store.
func normJobs(js []store.JobRecord) []store.JobRecord {
	out := make([]store.JobRecord, len(js))
	for i, j := range js {
		j.Spec = nilIfEmpty(j.Spec)
		out[i] = j
	}
	return out
}

func wantTask(t store.TaskRecord) store.TaskRecord {
	t.DispatchedAt, t.StartedAt, t.FinishedAt = utcPtr(t.DispatchedAt), utcPtr(t.StartedAt), utcPtr(t.FinishedAt)
	t.RetryAt = utcPtr(t.RetryAt)
	return t
}

func wantTasks(ts ...store.TaskRecord) []store.TaskRecord {
	out := make([]store.TaskRecord, len(ts))
	for i, t := range ts {
		out[i] = wantTask(t)
	}
	return out
}

func wantNode(n store.NodeRecord) store.NodeRecord {
	n.RegisteredAt, n.LastSeen, n.LockedAt = utc(n.RegisteredAt), utc(n.LastSeen), utcPtr(n.LockedAt)
	n.StateSince = utc(n.StateSince)
	n.Facts = nilIfEmpty(n.Facts)
	return n
}

func normNodes(ns []store.NodeRecord) []store.NodeRecord {
	out := make([]store.NodeRecord, len(ns))
	for i, n := range ns {
		n.Facts = nilIfEmpty(n.Facts)
		out[i] = n
	}
	return out
}

func wantSources(rs ...store.SourceRecord) []store.SourceRecord {
	out := make([]store.SourceRecord, len(rs))
	for i, r := range rs {
		r.CreatedAt = utc(r.CreatedAt)
		r.Spec, r.PolicyState = nilIfEmpty(r.Spec), nilIfEmpty(r.PolicyState)
		out[i] = r
	}
	return out
}

// normSources maps empty specs and policy states to nil in records read
// from a store.
func normSources(rs []store.SourceRecord) []store.SourceRecord {
	out := make([]store.SourceRecord, len(rs))
	for i, r := range rs {
		r.Spec, r.PolicyState = nilIfEmpty(r.Spec), nilIfEmpty(r.PolicyState)
		out[i] = r
	}
	return out
}

func wantTokens(rs ...store.EnrollTokenRecord) []store.EnrollTokenRecord {
	out := make([]store.EnrollTokenRecord, len(rs))
	for i, r := range rs {
		r.CreatedAt, r.ExpiresAt = utc(r.CreatedAt), utcPtr(r.ExpiresAt)
		out[i] = r
	}
	return out
}

func wantCredentials(rs ...store.CredentialRecord) []store.CredentialRecord {
	out := make([]store.CredentialRecord, len(rs))
	for i, r := range rs {
		r.CreatedAt = utc(r.CreatedAt)
		out[i] = r
	}
	return out
}
