package rest

import (
	"context"
	"encoding/json"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	Name   string
	Role   string // api.RoleAdmin or api.RoleUser
	Groups []string
	// Scope is set when the caller is a running task using its job-scoped
	// token (api.StartTask.APIToken): it acts as the job's owner, with the
	// role of a user, on its own job and the jobs it submitted only.
	Scope *TaskScope
}

// TaskScope is the running task attempt a job-scoped token belongs to.
type TaskScope struct {
	JobID   int64
	TaskID  int64
	Task    string
	Attempt int
}

// IsAdmin reports whether the caller may see and act on everything.
func (p Principal) IsAdmin() bool { return p.Role == api.RoleAdmin }

// JobQuery filters GET /jobs.
type JobQuery struct {
	States []api.JobState
	Owner  string // admins may filter by owner; users always see their own
	// Parent, when not 0, lists only the jobs that job's tasks submitted.
	Parent int64
	Offset int
	Limit  int
}

// LogPage is a piece of a task attempt's output.
type LogPage struct {
	Data []byte
	// Next is the offset to ask for next.
	Next int64
	// Attempt is the attempt this log belongs to.
	Attempt int
	// Done is true when the attempt is over and all its output is here:
	// a follower stops once it has read up to Next with Done set.
	Done bool
}

// Backend is what the REST layer needs from the server. Every method that
// takes a Principal enforces access itself (users see and act on their own
// jobs, admins on all) and returns *api.Error values whose Code the REST
// layer maps to an HTTP status. A Principal with a Scope reaches only the
// jobs routes and the event stream (the REST layer refuses the rest); the
// job methods keep it to its job and the jobs below it (CodeForbidden),
// SubmitJob makes its jobs children of its job, ListJobs and Events show
// that tree only.
type Backend interface {
	Login(ctx context.Context, username, password string) (api.LoginResponse, error)
	// Authenticate resolves a bearer token; CodeUnauthorized if unknown or expired.
	Authenticate(ctx context.Context, token string) (Principal, error)
	Logout(ctx context.Context, token string) error

	// SubmitJob stores a validated job and returns only once it is durable.
	SubmitJob(ctx context.Context, p Principal, spec api.JobSpec) (api.SubmitResponse, error)
	ListJobs(ctx context.Context, p Principal, q JobQuery) (api.JobList, error)
	GetJob(ctx context.Context, p Principal, id int64) (api.Job, error)
	GetJobSpec(ctx context.Context, p Principal, id int64) (api.JobSpec, error)
	// ExplainJob says, for each pending task, why it waits (reasons
	// counted across nodes) and, when node is set, that node's detailed
	// verdict with each selection script's.
	ExplainJob(ctx context.Context, p Principal, id int64, node string) (api.JobExplain, error)
	// DryRunJob validates a job like SubmitJob and says, for each task,
	// which current nodes could run it and why the others cannot; nothing
	// is stored.
	DryRunJob(ctx context.Context, p Principal, spec api.JobSpec) (api.JobExplain, error)
	// TestScript evaluates one selection script against a live node
	// (admins only): static on the server, dynamic on the node.
	TestScript(ctx context.Context, p Principal, req api.ScriptTestRequest) (api.ScriptTestResult, error)
	// KillJob kills a job: pending tasks are killed at once, running ones
	// are stopped on their nodes.
	KillJob(ctx context.Context, p Principal, id int64) error
	// SetJobPriority changes the priority of a pending or running job and
	// returns the job after the change: its owner up to the highest level
	// they may submit at (CodeInvalid on field "priority" above it), admins
	// any; CodeConflict for a job that is over. Tasks that have not started
	// are queued at the new level at once; the change is stored.
	SetJobPriority(ctx context.Context, p Principal, id int64, pr api.Priority) (api.Job, error)
	// PauseJob keeps a job's tasks from starting (running ones go on) and
	// ResumeJob lets them start again; both return the job after the
	// change, CodeConflict for a job that is over or already in that state.
	// The pause is stored and survives a restart.
	PauseJob(ctx context.Context, p Principal, id int64) (api.Job, error)
	ResumeJob(ctx context.Context, p Principal, id int64) (api.Job, error)
	// RestartFailed puts a job's FAILED and IN_ERROR tasks, and those
	// SKIPPED because of them, back to PENDING with fresh attempt budgets;
	// the job runs again. CodeConflict when there is none.
	RestartFailed(ctx context.Context, p Principal, id int64) (api.Job, error)
	// ControlTask applies action to one task (see api.TaskAction) and
	// returns the job after the change; reason, when set, goes into the
	// task's events. CodeNotFound for an unknown task, CodeConflict for a
	// task in a state the action does not apply to.
	ControlTask(ctx context.Context, p Principal, id int64, task string, action api.TaskAction, reason string) (api.Job, error)
	// TaskLog returns up to max bytes of a task's output from offset;
	// attempt 0 means the latest attempt.
	TaskLog(ctx context.Context, p Principal, jobID int64, task string, attempt int, offset int64, max int) (LogPage, error)
	// JobResults returns the results of a job's tasks by task name; tasks
	// without one are left out.
	JobResults(ctx context.Context, p Principal, id int64) (api.JobResults, error)
	// TaskResult returns one task's result (JSON); CodeNotFound, saying
	// why, when the task has none.
	TaskResult(ctx context.Context, p Principal, id int64, task string) (json.RawMessage, error)
	// JobServerLogs returns the scheduler's own account of a job, the
	// lines with Seq > after, oldest first.
	JobServerLogs(ctx context.Context, p Principal, id int64, after int64) ([]api.ServerLogLine, error)
	// ExecTask runs req.Command on req.Node, one of the nodes of task's
	// running attempt, inside that attempt (its work dir, environment and
	// process group). Callers: the job's owner, admins, and job-scoped
	// tokens of that same job (CodeForbidden for another job's). Refusals
	// come back as the error; otherwise the channel yields the process's
	// output, then one last ExecOutput with ExitCode or Error, and is
	// closed. When ctx ends the process is killed and the channel closed.
	ExecTask(ctx context.Context, p Principal, jobID int64, task string, req api.TaskExecRequest) (<-chan api.ExecOutput, error)

	ListNodes(ctx context.Context, p Principal) ([]api.Node, error)
	// GetNode returns a node with its facts and history; CodeNotFound if unknown.
	GetNode(ctx context.Context, p Principal, name string) (api.NodeDetail, error)
	// LockNode keeps a node from new work (admins only); running tasks go on.
	LockNode(ctx context.Context, p Principal, name, reason string) (api.Node, error)
	UnlockNode(ctx context.Context, p Principal, name string) (api.Node, error)
	// DrainNode gives a node no new work until it is empty (on=false cancels).
	DrainNode(ctx context.Context, p Principal, name string, on bool) (api.Node, error)
	// RemoveNode forgets a node (admins only). A node that still runs tasks
	// is refused with CodeConflict unless force, which hands its tasks back
	// to the scheduler; a connected agent is told to leave.
	RemoveNode(ctx context.Context, p Principal, name string, force bool) error

	// RMStats counts nodes by state and source and sums their capacity.
	RMStats(ctx context.Context, p Principal) (api.RMStats, error)
	// RMEvents returns node events with Seq > after, at most limit.
	RMEvents(ctx context.Context, p Principal, after int64, limit int) (api.RMEventList, error)
	// Events streams the events with Seq > after, oldest first, then new
	// ones as they happen, each with its Seq set. jobID != 0 keeps only
	// that job's events (CodeNotFound if p may not see the job). Users get
	// node events and their own jobs' events; admins get all. The channel
	// is closed when ctx ends. A caller that falls more than the
	// backend's buffer behind gets a last event of Kind api.EventOverflow
	// whose Seq is the last one sent (resume with after=Seq), then the
	// channel is closed.
	Events(ctx context.Context, p Principal, after uint64, jobID int64) (<-chan api.Event, error)
	// RMHistory returns node counts by state over rng: 1h, 1d or 1w.
	RMHistory(ctx context.Context, p Principal, rng string) (api.RMHistory, error)

	// Infrastructures and Policies describe every kind and its parameters.
	Infrastructures(ctx context.Context) []api.KindInfo
	Policies(ctx context.Context) []api.KindInfo
	// ListSources returns the node sources the caller may use or administer.
	ListSources(ctx context.Context, p Principal) ([]api.NodeSource, error)
	GetSource(ctx context.Context, p Principal, name string) (api.NodeSource, error)
	// CreateSource validates spec (every error at once, nothing stored on
	// error; admins only) and stores it, deploying it if spec.Deploy.
	CreateSource(ctx context.Context, p Principal, spec api.NodeSourceSpec) (api.NodeSource, error)
	// UpdateSource changes parameters, access or tokens; a deployed
	// source applies them at once (its policy decides again).
	UpdateSource(ctx context.Context, p Principal, name string, u api.NodeSourceUpdate) (api.NodeSource, error)
	DeploySource(ctx context.Context, p Principal, name string) (api.NodeSource, error)
	UndeploySource(ctx context.Context, p Principal, name string, req api.UndeployRequest) (api.NodeSource, error)
	// DeleteSource undeploys (preempting when asked) and forgets a source;
	// CodeConflict if it still has busy nodes and !preempt.
	DeleteSource(ctx context.Context, p Principal, name string, preempt bool) error
	// CreateEnrollToken makes an enrollment token; its secret is returned
	// only here.
	CreateEnrollToken(ctx context.Context, p Principal, source string, req api.EnrollTokenRequest) (api.EnrollToken, error)
	ListEnrollTokens(ctx context.Context, p Principal, source string) ([]api.EnrollToken, error)
	RevokeEnrollToken(ctx context.Context, p Principal, source, id string) error
	// JoinNode trades an enrollment token for node credentials (no login:
	// the token is the authority). serverURL is the URL the request came to.
	JoinNode(ctx context.Context, req api.JoinRequest, serverURL string) (api.NodeCredentials, error)

	// Space returns the global space or the caller's user space, and
	// whether the caller may write it (the global one: admins).
	Space(ctx context.Context, p Principal, space string) (sp *dataspace.Space, write bool, err error)
	// JobSpace returns the input or output space of a job p may see.
	JobSpace(ctx context.Context, p Principal, jobID int64, space string) (*dataspace.Space, error)
	// TransferSpace resolves a node's capability token (api.Staging.Token)
	// to one of the spaces it opens (input, output, user, global) and says
	// whether the token may write there; CodeUnauthorized for a token that
	// is unknown or over, CodeForbidden for a space it does not open.
	TransferSpace(ctx context.Context, token, space string) (sp *dataspace.Space, write bool, err error)

	// Scheduler returns the scheduler's state.
	Scheduler(ctx context.Context, p Principal) (api.SchedulerStatus, error)
	// SetScheduler sets a new state or runs the kill action (admins only,
	// CodeForbidden otherwise; CodeInvalid for a bad update) and stores
	// the state so that it survives a restart.
	SetScheduler(ctx context.Context, p Principal, u api.SchedulerUpdate) (api.SchedulerStatus, error)
	// SchedulerStats counts jobs, tasks and nodes; with user set, also
	// that user's jobs and tasks (users may ask only for themselves).
	SchedulerStats(ctx context.Context, p Principal, user string) (api.SchedulerStats, error)
	// Queues lists the scheduler's queues with their state; users who are
	// not admins see only their own line of each queue's users.
	Queues(ctx context.Context, p Principal) ([]api.Queue, error)
	// Queue is one queue, like Queues; CodeNotFound for an unknown name.
	Queue(ctx context.Context, p Principal, name string) (api.Queue, error)

	CreateUser(ctx context.Context, p Principal, req api.CreateUserRequest) (api.User, error)
	ListUsers(ctx context.Context, p Principal) ([]api.User, error)
}
