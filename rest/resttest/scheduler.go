package resttest

import (
	"context"
	"slices"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// Scheduler implements rest.Backend.
func (f *FakeBackend) Scheduler(context.Context, rest.Principal) (api.SchedulerStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.schedulerLocked(), nil
}

func (f *FakeBackend) schedulerLocked() api.SchedulerStatus {
	st := f.sched
	if st.State == "" {
		st.State = api.SchedulerStarted
	}
	return st
}

// SetScheduler implements rest.Backend: admins set the state; the kill
// action kills every job that is not over and stops the scheduler.
func (f *FakeBackend) SetScheduler(_ context.Context, p rest.Principal, u api.SchedulerUpdate) (api.SchedulerStatus, error) {
	if !p.IsAdmin() {
		return api.SchedulerStatus{}, api.Errorf(api.CodeForbidden, "only admins may change the scheduler's state")
	}
	if errs := u.Validate(); len(errs) > 0 {
		return api.SchedulerStatus{}, api.Invalid(errs)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var killed []int64
	state := u.State
	if u.Action == api.SchedulerActionKill {
		for id, j := range f.jobs {
			if !j.job.State.Terminal() {
				setState(&j.job, api.JobKilled, f.now)
				delete(f.scripts, id)
				killed = append(killed, id)
			}
		}
		slices.Sort(killed)
		state = api.SchedulerStopped
	}
	f.sched = api.SchedulerStatus{State: state, Since: f.now, By: p.Name}
	st := f.sched
	st.Killed = killed
	return st, nil
}

// SchedulerStats implements rest.Backend from the fake's jobs and nodes:
// a job's tasks count as pending or running by the job's state.
func (f *FakeBackend) SchedulerStats(_ context.Context, p rest.Principal, user string) (api.SchedulerStats, error) {
	if user != "" && !p.IsAdmin() && user != p.Name {
		return api.SchedulerStats{}, api.Errorf(api.CodeForbidden, "users may see only their own stats")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := api.SchedulerStats{State: f.schedulerLocked().State, Jobs: map[api.JobState]int{}}
	if user != "" {
		st.User = &api.UserSchedulerStats{Name: user, Jobs: map[api.JobState]int{}}
		for _, q := range f.queues { // the usage SetQueues gave the user
			for _, u := range q.Users {
				if u.Name == user && u.Usage > 0 {
					if st.User.Usage == nil {
						st.User.Usage = map[string]float64{}
					}
					st.User.Usage[q.Name] = u.Usage
				}
			}
		}
	}
	for _, j := range f.jobs {
		if j.job.State.Terminal() {
			continue
		}
		pending, running := 0, 0
		for _, t := range j.job.Tasks {
			switch t.State {
			case api.TaskPending:
				pending++
			case api.TaskRunning:
				running++
			}
		}
		st.Jobs[j.job.State]++
		st.TasksPending += pending
		st.TasksRunning += running
		if st.User != nil && j.job.Owner == user {
			st.User.Jobs[j.job.State]++
			st.User.TasksPending += pending
			st.User.TasksRunning += running
		}
	}
	for _, n := range f.nodes {
		switch n.State {
		case api.NodeFree:
			st.NodesFree++
		case api.NodeBusy:
			st.NodesBusy++
		}
	}
	return st, nil
}
