package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when creating a row whose key is taken.
var ErrExists = errors.New("already exists")

// Store is the server's durable state. Every implementation (SQLite today,
// PostgreSQL next) passes the same contract suite (storetest).
//
// IDs of jobs and tasks are chosen by the caller (the server allocates them
// in memory from MaxIDs at start), so many submissions can share one
// transaction.
type Store interface {
	// Apply commits all mutations in one transaction: all or nothing.
	Apply(ctx context.Context, muts ...Mutation) error

	// MaxIDs returns the highest job and task IDs ever stored (0 when empty),
	// counting the task IDs jobs hold for rows not written yet
	// (JobRecord.TaskCount).
	MaxIDs(ctx context.Context) (jobID, taskID int64, err error)
	// LoadActive returns every non-terminal job with all its written task
	// rows, in job ID order (the caller rebuilds the missing ones: see
	// JobRecord).
	LoadActive(ctx context.Context) ([]JobRecord, []TaskRecord, error)
	// GetJob returns one job and its written task rows (by task index), or
	// ErrNotFound.
	GetJob(ctx context.Context, id int64) (JobRecord, []TaskRecord, error)
	// ListJobs returns a page of jobs, newest first, and the total matching.
	ListJobs(ctx context.Context, q JobQuery) ([]JobRecord, int, error)
	// JobParents returns, for every job that has a parent, its parent's
	// ID (the sub-job tree, rebuilt in memory at start).
	JobParents(ctx context.Context) (map[int64]int64, error)
	// TaskCounts returns, per job, how many tasks are in each state; the
	// rows a job holds but has not written yet count as PENDING.
	TaskCounts(ctx context.Context, jobIDs []int64) (map[int64]map[string]int, error)

	// ListNodes returns every known node.
	ListNodes(ctx context.Context) ([]NodeRecord, error)
	// ListNodeEvents returns node events (the RM's history) matching q.
	ListNodeEvents(ctx context.Context, q NodeEventQuery) ([]NodeEventRecord, error)
	// ListRMSamples returns the node-count samples taken at or after since,
	// oldest first.
	ListRMSamples(ctx context.Context, since time.Time) ([]RMSampleRecord, error)

	// ListSources returns every node source, by name.
	ListSources(ctx context.Context) ([]SourceRecord, error)
	// ListEnrollTokens returns every enrollment token (spent and expired
	// ones are deleted by the server), by source then ID.
	ListEnrollTokens(ctx context.Context) ([]EnrollTokenRecord, error)
	// ListCredentials returns every node's credential hash, by node.
	ListCredentials(ctx context.Context) ([]CredentialRecord, error)

	// JobResults returns the results of a job's tasks, by task ID.
	JobResults(ctx context.Context, jobID int64) ([]TaskResultRecord, error)
	// ResultTasks returns the IDs of a job's tasks that have a result.
	ResultTasks(ctx context.Context, jobID int64) ([]int64, error)
	// ActiveResults returns the results of the tasks of every
	// non-terminal job, by task ID.
	ActiveResults(ctx context.Context) ([]TaskResultRecord, error)
	// ListJobLogs returns a job's server log lines with Seq > after,
	// oldest first, at most MaxJobLogLines.
	ListJobLogs(ctx context.Context, jobID, after int64) ([]JobLogRecord, error)

	CreateUser(ctx context.Context, u UserRecord) error // ErrExists if taken
	GetUser(ctx context.Context, name string) (UserRecord, error)
	ListUsers(ctx context.Context) ([]UserRecord, error)

	CreateSession(ctx context.Context, s SessionRecord) error
	// GetSession finds a session by the hash of its token, or ErrNotFound.
	GetSession(ctx context.Context, tokenHash string) (SessionRecord, error)
	DeleteSession(ctx context.Context, tokenHash string) error

	Close() error
}

// Mutation is a set of row writes applied together. Jobs and Tasks are
// upserts of whole rows keyed by ID; JobStates updates only a job's state
// and finish time (its spec is written once, at insert).
type Mutation struct {
	Jobs      []JobRecord
	JobStates []JobStateUpdate
	Tasks     []TaskRecord
	Nodes     []NodeRecord
	// DeleteNodes removes node rows (after the upserts); their events stay.
	DeleteNodes []string
	// NodeEvents are appended to the RM's history; the store assigns Seq.
	NodeEvents []NodeEventRecord
	// Samples are node-count samples; samples older than SampleRetention
	// before the newest one are deleted.
	Samples []RMSampleRecord
	// Sources are upserts of whole node-source rows by name;
	// DeleteSources removes them (after the upserts).
	Sources       []SourceRecord
	DeleteSources []string
	// EnrollTokens are upserts by ID; DeleteEnrollTokens removes by ID.
	EnrollTokens       []EnrollTokenRecord
	DeleteEnrollTokens []string
	// Credentials are upserts by node name; DeleteCredentials removes by
	// node name.
	Credentials       []CredentialRecord
	DeleteCredentials []string
	// Users are upserts of whole user rows by name (CreateUser is for new
	// ones; this is for changes such as groups).
	Users []UserRecord
	// TaskResults are upserts of task results by task ID (after the
	// tasks); DeleteTaskResults removes them by task ID.
	TaskResults       []TaskResultRecord
	DeleteTaskResults []int64
	// JobLogs are appended to their jobs' server logs; the store assigns
	// Seq.
	JobLogs []JobLogRecord
}

// SampleRetention is how long node-count samples are kept.
const SampleRetention = 8 * 24 * time.Hour

// Empty reports whether m writes nothing.
func (m *Mutation) Empty() bool {
	return len(m.Jobs) == 0 && len(m.JobStates) == 0 && len(m.Tasks) == 0 && len(m.Nodes) == 0 &&
		len(m.DeleteNodes) == 0 && len(m.NodeEvents) == 0 && len(m.Samples) == 0 &&
		len(m.Sources) == 0 && len(m.DeleteSources) == 0 && len(m.EnrollTokens) == 0 &&
		len(m.DeleteEnrollTokens) == 0 && len(m.Credentials) == 0 && len(m.DeleteCredentials) == 0 &&
		len(m.Users) == 0 && len(m.TaskResults) == 0 && len(m.DeleteTaskResults) == 0 && len(m.JobLogs) == 0
}

// JobRecord is one job row.
type JobRecord struct {
	ID          int64
	Name        string
	Owner       string
	Priority    int
	State       string
	Spec        []byte // api.JobSpec as JSON
	SubmittedAt time.Time
	FinishedAt  *time.Time
	// FirstTaskID and TaskCount: the job's tasks have the IDs FirstTaskID
	// to FirstTaskID+TaskCount-1, the task at index i ID FirstTaskID+i.
	// A task's row may be written on its first change rather than with
	// the job (the instances of an array: writing 100,000 rows would make
	// a submission slow), so a task without a row is PENDING, never
	// started, and fully described by the job's spec. TaskCount 0 means
	// the job holds no IDs beyond its rows.
	FirstTaskID int64
	TaskCount   int
	// Parent is the job whose task submitted this one (0: none).
	Parent int64
}

// JobStateUpdate changes a job's state.
type JobStateUpdate struct {
	ID         int64
	State      string
	FinishedAt *time.Time
}

// TaskRecord is one task row.
type TaskRecord struct {
	ID      int64
	JobID   int64
	Index   int // position in the job's tasks, an array's instances one after another
	Name    string
	State   string
	Attempt int // how many times it was started
	// Failures counts attempts that failed (against max_attempts);
	// NodeLosses counts attempts lost with their node.
	Failures     int
	NodeLosses   int
	Node         string
	ExitCode     *int
	Error        string
	DispatchedAt *time.Time
	StartedAt    *time.Time
	FinishedAt   *time.Time
	// Others are the other nodes of a running multi-node attempt (Node
	// runs it; each of these holds a slot for it; a node with several
	// slots is named once per slot).
	Others []string
	// RetryAt is when a failed attempt's retry_delay ends (nil: none), and
	// Avoid the nodes a retry_elsewhere task failed on: both survive a
	// restart with the task.
	RetryAt *time.Time
	Avoid   []string
}

// NodeRecord is one node row.
type NodeRecord struct {
	Name         string
	State        string
	Instance     string
	Facts        []byte // api.NodeFacts as JSON
	RegisteredAt time.Time
	LastSeen     time.Time
	// A locked node gets no new work; LockedAt is nil when it is not locked.
	LockedBy   string
	LockedAt   *time.Time
	LockReason string
	Draining   bool
	// Source is the node source the node belongs to ("default" for
	// nodes that joined with the server's own token).
	Source string
	// StateSince is when the node entered State.
	StateSince time.Time
	// Handle is the infrastructure's reference to the deployed node (a
	// process ID, a Slurm job ID, a host); empty for enrolled nodes.
	Handle string
}

// NodeEventRecord is one entry of the RM's history.
type NodeEventRecord struct {
	Seq      int64 // assigned by the store, increasing
	Time     time.Time
	Node     string
	State    string
	Locked   bool
	Draining bool
	Event    string
	By       string
	Info     string
}

// NodeEventQuery selects node events: Seq > After, of Node if set, at most
// Limit (default 100, at most 1000). Newest returns the last Limit events
// (still oldest first) instead of the first ones after After.
type NodeEventQuery struct {
	After  int64
	Node   string
	Limit  int
	Newest bool
}

// RMSampleRecord counts nodes by state at one time.
type RMSampleRecord struct {
	Time             time.Time
	Free, Busy, Down int
}

// UserRecord is one user account.
type UserRecord struct {
	Name         string
	Role         string
	PasswordHash string
	// Groups are the user's groups; read back nil when there are none.
	Groups    []string
	CreatedAt time.Time
}

// SourceRecord is one node source.
type SourceRecord struct {
	Name      string
	Spec      []byte // api.NodeSourceSpec as JSON, secrets included
	Status    string // api.NodeSourceStatus
	Owner     string
	CreatedAt time.Time
	// PolicyState is the policy's policies.State as JSON.
	PolicyState []byte
}

// EnrollTokenRecord is one enrollment token; only its hash is stored.
type EnrollTokenRecord struct {
	ID          string
	Source      string
	TokenHash   string
	OneTime     bool
	ExpiresAt   *time.Time
	CreatedBy   string
	CreatedAt   time.Time
	Uses        int
	Description string
}

// CredentialRecord is one node's own NATS credential; only the hash of its
// secret is stored.
type CredentialRecord struct {
	Node       string
	Source     string
	SecretHash string
	CreatedAt  time.Time
}

// SessionRecord is one API login.
type SessionRecord struct {
	TokenHash string
	User      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// JobQuery selects jobs for ListJobs. Empty Owner means all owners; empty
// States means all states. Limit 0 means the default (50).
type JobQuery struct {
	Owner  string
	States []string
	// IDs, when not nil, keeps only these jobs (a job-scoped caller's
	// tree); Parent, when not 0, only the children of that job.
	IDs    []int64
	Parent int64
	Offset int
	Limit  int
}
