package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/scheduler"
)

// SchedulerStateFile is the file in the data dir that keeps the
// scheduler's state across restarts.
const SchedulerStateFile = "scheduler-state"

// Why held tasks wait, as `job show` and `job explain` print it.
const (
	reasonPaused = "scheduler is paused: jobs that have not started wait"
	reasonFrozen = "scheduler is frozen: no task starts"
)

// loadSchedulerState reads the stored state; none means STARTED.
func (s *Server) loadSchedulerState() error {
	path := filepath.Join(s.cfg.DataDir, SchedulerStateFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		s.sched = api.SchedulerStatus{State: api.SchedulerStarted}
		return nil
	}
	if err != nil {
		return fmt.Errorf("scheduler state: %w", err)
	}
	var st api.SchedulerStatus
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("scheduler state %s: %w", path, err)
	}
	if !slices.Contains(api.SchedulerStates, st.State) {
		return fmt.Errorf("scheduler state %s: unknown state %q", path, st.State)
	}
	s.sched = st
	if st.State != api.SchedulerStarted {
		s.log.Info("scheduler state restored", "state", st.State, "since", st.Since, "by", st.By)
	}
	return nil
}

// saveSchedulerState writes st durably and atomically: a temporary file
// is synced, then renamed over the old one.
func (s *Server) saveSchedulerState(st api.SchedulerStatus) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode scheduler state: %w", err)
	}
	if err := s.writeDataFile(SchedulerStateFile, data); err != nil {
		return fmt.Errorf("scheduler state: %w", err)
	}
	return nil
}

// Scheduler implements rest.Backend.
func (s *Server) Scheduler(context.Context, rest.Principal) (api.SchedulerStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sched, nil
}

// SetScheduler implements rest.Backend. The new state is stored before it
// takes effect. The kill action stops the scheduler first (no new
// submissions), then kills every job that is not over.
func (s *Server) SetScheduler(ctx context.Context, p rest.Principal, u api.SchedulerUpdate) (api.SchedulerStatus, error) {
	if !p.IsAdmin() {
		return api.SchedulerStatus{}, api.Errorf(api.CodeForbidden, "only admins may change the scheduler's state")
	}
	if errs := u.Validate(); len(errs) > 0 {
		return api.SchedulerStatus{}, api.Invalid(errs)
	}
	state := u.State
	if u.Action == api.SchedulerActionKill {
		state = api.SchedulerStopped
	}
	s.schedMu.Lock()
	defer s.schedMu.Unlock()
	st := api.SchedulerStatus{State: state, Since: s.now(), By: p.Name}
	if err := s.saveSchedulerState(st); err != nil {
		return api.SchedulerStatus{}, api.Errorf(api.CodeInternal, "the scheduler state could not be stored: %v", err)
	}
	s.mu.Lock()
	s.sched = st
	// Held tasks get their reasons from the next cycle.
	for _, t := range s.tasks {
		if t.queued {
			t.unplaced = nil
		}
	}
	var ids []int64
	if u.Action == api.SchedulerActionKill {
		for id, j := range s.jobs {
			if !api.JobState(j.rec.State).Terminal() {
				ids = append(ids, id)
			}
		}
	}
	s.mu.Unlock()
	s.kick()
	s.log.Info("scheduler state changed", "state", state, "by", p.Name, "action", u.Action)
	slices.Sort(ids)
	for _, id := range ids {
		err := s.KillJob(ctx, p, id)
		switch {
		case err == nil:
			st.Killed = append(st.Killed, id)
		case api.IsCode(err, api.CodeConflict), api.IsCode(err, api.CodeNotFound):
			// It ended meanwhile.
		default:
			return st, fmt.Errorf("kill job %d: %w", id, err)
		}
	}
	return st, nil
}

// gate keeps from head the tasks the scheduler's state lets start and
// gives the others the reason they wait. head is not modified. Called
// with s.mu held.
func (s *Server) gate(head []*taskState) []*taskState {
	var why string
	switch s.sched.State {
	case api.SchedulerFrozen:
		why = reasonFrozen
	case api.SchedulerPaused:
		why = reasonPaused
	default:
		return head
	}
	var kept []*taskState
	held := []scheduler.Reason{{Count: 0, Message: why}}
	for _, t := range head {
		if why == reasonPaused && api.JobState(t.job.rec.State) == api.JobRunning {
			kept = append(kept, t)
			continue
		}
		t.unplaced = held
	}
	return kept
}

// stopped reports whether submissions are refused. Called with s.mu held.
func (s *Server) stopped() bool { return s.sched.State == api.SchedulerStopped }

// SchedulerStats implements rest.Backend from the index (the jobs that
// are not over) and the node registry.
func (s *Server) SchedulerStats(_ context.Context, p rest.Principal, user string) (api.SchedulerStats, error) {
	if user != "" && !p.IsAdmin() && user != p.Name {
		return api.SchedulerStats{}, api.Errorf(api.CodeForbidden, "users may see only their own stats")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := api.SchedulerStats{State: s.sched.State, Jobs: map[api.JobState]int{}}
	if user != "" {
		st.User = &api.UserSchedulerStats{Name: user, Jobs: map[api.JobState]int{}}
		now := s.now()
		for _, q := range s.queues {
			if u := s.fair.Usage(q.Name, user, now); u > 0 {
				if st.User.Usage == nil {
					st.User.Usage = map[string]float64{}
				}
				st.User.Usage[q.Name] = u
			}
		}
	}
	for _, j := range s.jobs {
		pending, running := 0, 0
		for _, t := range j.tasks {
			switch api.TaskState(t.rec.State) {
			case api.TaskPending:
				pending++
			case api.TaskRunning:
				running++
			}
		}
		state := api.JobState(j.rec.State)
		st.Jobs[state]++
		st.TasksPending += pending
		st.TasksRunning += running
		if st.User != nil && j.rec.Owner == user {
			st.User.Jobs[state]++
			st.User.TasksPending += pending
			st.User.TasksRunning += running
		}
	}
	for _, n := range s.reg.Nodes() {
		switch n.State {
		case api.NodeFree:
			st.NodesFree++
		case api.NodeBusy:
			st.NodesBusy++
		}
	}
	return st, nil
}
