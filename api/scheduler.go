package api

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SchedulerState is the scheduler's lifecycle state (docs/api.md,
// "Scheduler"). It survives server restarts.
type SchedulerState string

// The scheduler states.
const (
	// SchedulerStarted: jobs are accepted and tasks placed (the default).
	SchedulerStarted SchedulerState = "STARTED"
	// SchedulerStopped: new submissions are refused (CodeUnavailable);
	// queued and running work goes on to its end.
	SchedulerStopped SchedulerState = "STOPPED"
	// SchedulerPaused: jobs that have not started a task yet wait; jobs
	// already RUNNING go on placing their tasks.
	SchedulerPaused SchedulerState = "PAUSED"
	// SchedulerFrozen: no task is started at all.
	SchedulerFrozen SchedulerState = "FROZEN"
)

// SchedulerStates lists every scheduler state.
var SchedulerStates = []SchedulerState{SchedulerStarted, SchedulerStopped, SchedulerPaused, SchedulerFrozen}

// SchedulerActionKill is the action of PUT /api/v1/scheduler that kills
// every job that is not over and leaves the scheduler STOPPED.
const SchedulerActionKill = "kill"

// SchedulerStatus is the answer of GET and PUT /api/v1/scheduler.
type SchedulerStatus struct {
	State SchedulerState `json:"state"`
	// Since is when the state was set (zero when it never was).
	Since time.Time `json:"since"`
	// By is the admin who set it ("" when it never was).
	By string `json:"by,omitempty"`
	// Killed lists the jobs a kill action killed.
	Killed []int64 `json:"killed,omitempty"`
}

// SchedulerUpdate is the body of PUT /api/v1/scheduler: exactly one of a
// new State and an Action (SchedulerActionKill).
type SchedulerUpdate struct {
	State  SchedulerState `json:"state,omitempty"`
	Action string         `json:"action,omitempty"`
}

// Validate names every problem of the update.
func (u SchedulerUpdate) Validate() []FieldError {
	var errs []FieldError
	switch {
	case u.State == "" && u.Action == "":
		errs = append(errs, FieldError{Field: "state", Message: "give a state or an action"})
	case u.State != "" && u.Action != "":
		errs = append(errs, FieldError{Field: "action", Message: "give a state or an action, not both"})
	case u.State != "" && !slices.Contains(SchedulerStates, u.State):
		errs = append(errs, FieldError{Field: "state",
			Message: fmt.Sprintf("unknown state %q; one of %s", u.State, joinStates(SchedulerStates))})
	case u.Action != "" && u.Action != SchedulerActionKill:
		errs = append(errs, FieldError{Field: "action", Message: fmt.Sprintf("unknown action %q; the one action is %q", u.Action, SchedulerActionKill)})
	}
	return errs
}

func joinStates(states []SchedulerState) string {
	s := make([]string, len(states))
	for i, st := range states {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

// SchedulerStats is the answer of GET /api/v1/scheduler/stats.
type SchedulerStats struct {
	State SchedulerState `json:"state"`
	// Jobs counts the jobs that are not over by state (PENDING, RUNNING).
	Jobs         map[JobState]int `json:"jobs"`
	TasksPending int              `json:"tasks_pending"`
	TasksRunning int              `json:"tasks_running"`
	// NodesFree counts the live nodes with room for another task (a free
	// slot, CPU left) and NodesBusy those without, as the RM's FREE and
	// BUSY states do.
	NodesFree int `json:"nodes_free"`
	NodesBusy int `json:"nodes_busy"`
	// User is set when the stats were asked for one user (?user=NAME).
	User *UserSchedulerStats `json:"user,omitempty"`
}

// UserSchedulerStats is one user's share of SchedulerStats.
type UserSchedulerStats struct {
	Name         string           `json:"name"`
	Jobs         map[JobState]int `json:"jobs"`
	TasksPending int              `json:"tasks_pending"`
	TasksRunning int              `json:"tasks_running"`
	// Usage is the user's fair-share usage by queue: CPU-seconds of
	// attempts that ended, decayed with fair_share_half_life.
	Usage map[string]float64 `json:"usage,omitempty"`
}

// SchedulerStoppedError is the error a submission gets while the
// scheduler is STOPPED.
func SchedulerStoppedError() *Error {
	return Errorf(CodeUnavailable, "the scheduler is stopped: new jobs are refused until an admin starts it again (shrike admin scheduler start)")
}
