package store

import (
	"strings"
	"time"
)

// The gorm models below are the schema shared by every SQL implementation
// (SQLite today, PostgreSQL next). They use only portable column types
// (integers, text, blobs, timestamps) and portable index definitions; index
// names are unique across the whole database because PostgreSQL requires it.
//
// IDs are chosen by the caller, so the integer primary keys are not
// auto-increment columns. Columns have no default, except those added to a
// table after its first release: SQLite adds a NOT NULL column to a table
// with rows only with a default, so theirs is their zero value ('' or
// false), which is also what gorm writes for a zero field. (Apply writes
// every column itself; see write.go.) migrate.go fills such columns of old
// rows where the zero value is not right.

// jobModel is a row of the jobs table.
type jobModel struct {
	ID          int64  `gorm:"primaryKey;autoIncrement:false"`
	Name        string `gorm:"not null"`
	Owner       string `gorm:"not null;index:idx_jobs_owner"`
	Priority    int    `gorm:"not null"`
	State       string `gorm:"not null;index:idx_jobs_state"`
	Spec        []byte
	SubmittedAt time.Time `gorm:"not null"`
	FinishedAt  *time.Time
	// FirstTaskID and TaskCount say which task IDs the job holds, written
	// or not yet (see JobRecord); migrate fills them for older rows.
	FirstTaskID int64 `gorm:"not null;default:0"`
	TaskCount   int   `gorm:"not null;default:0"`
	// Parent is the job whose task submitted this one (0: none). Rows
	// older than the column have 0, which is right: sub-jobs are newer.
	Parent int64 `gorm:"not null;default:0;index:idx_jobs_parent"`
}

func (jobModel) TableName() string { return "jobs" }

// taskModel is a row of the tasks table. The unique (job_id, idx) index also
// serves every lookup by job_id (its leftmost column), so there is no
// separate job_id index to maintain on each insert.
type taskModel struct {
	ID           int64  `gorm:"primaryKey;autoIncrement:false"`
	JobID        int64  `gorm:"not null;uniqueIndex:idx_tasks_job_idx,priority:1"`
	Index        int    `gorm:"column:idx;not null;uniqueIndex:idx_tasks_job_idx,priority:2"`
	Name         string `gorm:"not null"`
	State        string `gorm:"not null;index:idx_tasks_state"`
	Attempt      int    `gorm:"not null"`
	Failures     int    `gorm:"not null"`
	NodeLosses   int    `gorm:"not null"`
	Node         string `gorm:"not null"`
	ExitCode     *int
	Error        string `gorm:"not null"`
	DispatchedAt *time.Time
	StartedAt    *time.Time
	FinishedAt   *time.Time
	// Others is TaskRecord.Others joined with commas (node names have
	// none); '' for a single-node task.
	Others string `gorm:"not null;default:''"`
	// RetryAt and Avoid are TaskRecord's (Avoid joined like Others).
	RetryAt *time.Time
	Avoid   string `gorm:"not null;default:''"`

	// Job exists only to declare the foreign key tasks.job_id → jobs.id;
	// it is never loaded or saved (always nil).
	Job *jobModel `gorm:"foreignKey:JobID;constraint:OnDelete:CASCADE"`
}

func (taskModel) TableName() string { return "tasks" }

// nodeModel is a row of the nodes table.
type nodeModel struct {
	Name         string `gorm:"primaryKey"`
	State        string `gorm:"not null"`
	Instance     string `gorm:"not null"`
	Facts        []byte
	RegisteredAt time.Time `gorm:"not null"`
	LastSeen     time.Time `gorm:"not null"`
	LockedBy     string    `gorm:"not null;default:''"`
	LockedAt     *time.Time
	LockReason   string `gorm:"not null;default:''"`
	Draining     bool   `gorm:"not null;default:false"`
	Source       string `gorm:"not null;default:''"`
	// StateSince is nullable only so that AutoMigrate can add it to a table
	// with rows; Apply always writes it and migrate fills old rows.
	StateSince time.Time
	Handle     string `gorm:"not null;default:''"`
}

func (nodeModel) TableName() string { return "nodes" }

// nodeEventModel is a row of the node_events table (the RM's history).
type nodeEventModel struct {
	Seq      int64     `gorm:"primaryKey;autoIncrement"`
	Time     time.Time `gorm:"not null"`
	Node     string    `gorm:"not null;index"`
	State    string    `gorm:"not null"`
	Locked   bool      `gorm:"not null"`
	Draining bool      `gorm:"not null"`
	Event    string    `gorm:"not null"`
	By       string    `gorm:"column:by_user;not null"`
	Info     string    `gorm:"not null"`
}

func (nodeEventModel) TableName() string { return "node_events" }

// rmSampleModel is a row of the rm_samples table.
type rmSampleModel struct {
	Time time.Time `gorm:"primaryKey"`
	Free int       `gorm:"not null"`
	Busy int       `gorm:"not null"`
	Down int       `gorm:"not null"`
}

func (rmSampleModel) TableName() string { return "rm_samples" }

// userModel is a row of the users table.
type userModel struct {
	Name         string    `gorm:"primaryKey"`
	Role         string    `gorm:"not null"`
	PasswordHash string    `gorm:"not null"`
	CreatedAt    time.Time `gorm:"not null;autoCreateTime:false"`
	// Groups is the user's groups as a JSON list of strings ("[]" for none;
	// '' in rows older than the column).
	Groups string `gorm:"not null;default:''"`
}

func (userModel) TableName() string { return "users" }

// sessionModel is a row of the sessions table.
type sessionModel struct {
	TokenHash string    `gorm:"primaryKey"`
	User      string    `gorm:"column:user_name;not null;index:idx_sessions_user"` // "user" is reserved in PostgreSQL
	CreatedAt time.Time `gorm:"not null;autoCreateTime:false"`
	ExpiresAt time.Time `gorm:"not null"`
}

func (sessionModel) TableName() string { return "sessions" }

// sourceModel is a row of the node_sources table.
type sourceModel struct {
	Name        string `gorm:"primaryKey"`
	Spec        []byte
	Status      string    `gorm:"not null"`
	Owner       string    `gorm:"not null"`
	CreatedAt   time.Time `gorm:"not null;autoCreateTime:false"`
	PolicyState []byte
}

func (sourceModel) TableName() string { return "node_sources" }

// enrollTokenModel is a row of the enroll_tokens table. Tokens are found by
// their hash (unique) when a node enrolls, and listed by source.
type enrollTokenModel struct {
	ID          string `gorm:"primaryKey"`
	Source      string `gorm:"not null;index:idx_enroll_tokens_source"`
	TokenHash   string `gorm:"not null;uniqueIndex:idx_enroll_tokens_hash"`
	OneTime     bool   `gorm:"not null"`
	ExpiresAt   *time.Time
	CreatedBy   string    `gorm:"not null"`
	CreatedAt   time.Time `gorm:"not null;autoCreateTime:false"`
	Uses        int       `gorm:"not null"`
	Description string    `gorm:"not null"`
}

func (enrollTokenModel) TableName() string { return "enroll_tokens" }

// credentialModel is a row of the node_credentials table. Its source is
// not a foreign key: deleting a source leaves its nodes' rows to the server.
type credentialModel struct {
	Node       string    `gorm:"primaryKey"`
	Source     string    `gorm:"not null"`
	SecretHash string    `gorm:"not null"`
	CreatedAt  time.Time `gorm:"not null;autoCreateTime:false"`
}

func (credentialModel) TableName() string { return "node_credentials" }

// allModels lists the models in creation order (jobs before tasks, for the
// foreign key).
func allModels() []any {
	return []any{&jobModel{}, &taskModel{}, &nodeModel{}, &userModel{}, &sessionModel{}, &nodeEventModel{}, &rmSampleModel{},
		&sourceModel{}, &enrollTokenModel{}, &credentialModel{}, &taskResultModel{}, &jobLogModel{}}
}

// utc returns t in UTC without its monotonic reading.
func utc(t time.Time) time.Time { return t.UTC().Round(0) }

// utcPtr is utc for nullable times; it copies, so callers' values are never
// aliased.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := utc(*t)
	return &u
}

// intPtr copies a nullable int.
func intPtr(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func jobToModel(r JobRecord) jobModel {
	return jobModel{
		ID: r.ID, Name: r.Name, Owner: r.Owner, Priority: r.Priority, State: r.State,
		Spec: r.Spec, SubmittedAt: utc(r.SubmittedAt), FinishedAt: utcPtr(r.FinishedAt),
		FirstTaskID: r.FirstTaskID, TaskCount: r.TaskCount, Parent: r.Parent,
	}
}

func jobFromModel(m jobModel) JobRecord {
	return JobRecord{
		ID: m.ID, Name: m.Name, Owner: m.Owner, Priority: m.Priority, State: m.State,
		Spec: m.Spec, SubmittedAt: utc(m.SubmittedAt), FinishedAt: utcPtr(m.FinishedAt),
		FirstTaskID: m.FirstTaskID, TaskCount: m.TaskCount, Parent: m.Parent,
	}
}

func taskToModel(r TaskRecord) taskModel {
	return taskModel{
		ID: r.ID, JobID: r.JobID, Index: r.Index, Name: r.Name, State: r.State,
		Attempt: r.Attempt, Failures: r.Failures, NodeLosses: r.NodeLosses, Node: r.Node,
		ExitCode: intPtr(r.ExitCode), Error: r.Error,
		DispatchedAt: utcPtr(r.DispatchedAt), StartedAt: utcPtr(r.StartedAt), FinishedAt: utcPtr(r.FinishedAt),
		Others: strings.Join(r.Others, ","), RetryAt: utcPtr(r.RetryAt), Avoid: strings.Join(r.Avoid, ","),
	}
}

func taskFromModel(m taskModel) TaskRecord {
	return TaskRecord{
		ID: m.ID, JobID: m.JobID, Index: m.Index, Name: m.Name, State: m.State,
		Attempt: m.Attempt, Failures: m.Failures, NodeLosses: m.NodeLosses, Node: m.Node,
		ExitCode: m.ExitCode, Error: m.Error,
		DispatchedAt: utcPtr(m.DispatchedAt), StartedAt: utcPtr(m.StartedAt), FinishedAt: utcPtr(m.FinishedAt),
		Others: splitNodes(m.Others), RetryAt: utcPtr(m.RetryAt), Avoid: splitNodes(m.Avoid),
	}
}

// splitNodes reads a list of node names joined with commas.
func splitNodes(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func tasksFromModels(ms []taskModel) []TaskRecord {
	out := make([]TaskRecord, len(ms))
	for i, m := range ms {
		out[i] = taskFromModel(m)
	}
	return out
}

func nodeToModel(r NodeRecord) nodeModel {
	return nodeModel{
		Name: r.Name, State: r.State, Instance: r.Instance, Facts: r.Facts,
		RegisteredAt: utc(r.RegisteredAt), LastSeen: utc(r.LastSeen),
		LockedBy: r.LockedBy, LockedAt: utcPtr(r.LockedAt), LockReason: r.LockReason, Draining: r.Draining,
		Source: r.Source, StateSince: utc(r.StateSince), Handle: r.Handle,
	}
}

func nodeFromModel(m nodeModel) NodeRecord {
	return NodeRecord{
		Name: m.Name, State: m.State, Instance: m.Instance, Facts: m.Facts,
		RegisteredAt: utc(m.RegisteredAt), LastSeen: utc(m.LastSeen),
		LockedBy: m.LockedBy, LockedAt: utcPtr(m.LockedAt), LockReason: m.LockReason, Draining: m.Draining,
		Source: m.Source, StateSince: utc(m.StateSince), Handle: m.Handle,
	}
}

func nodeEventFromModel(m nodeEventModel) NodeEventRecord {
	return NodeEventRecord{Seq: m.Seq, Time: utc(m.Time), Node: m.Node, State: m.State, Locked: m.Locked,
		Draining: m.Draining, Event: m.Event, By: m.By, Info: m.Info}
}

func sessionFromModel(m sessionModel) SessionRecord {
	return SessionRecord{TokenHash: m.TokenHash, User: m.User, CreatedAt: utc(m.CreatedAt), ExpiresAt: utc(m.ExpiresAt)}
}
