package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/scheduler"
)

// Queue policies (QueueConfig.Policy).
const (
	PolicyFIFO     = "fifo"
	PolicyBackfill = "backfill"
)

// queueNameRE is what a queue may be called: it appears in job files,
// URLs and tables.
var queueNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// validateQueues checks the queues and fair_share_half_life, one error
// per problem, each naming its key (queues[1].policy).
func (c *Config) validateQueues() []error {
	var errs []error
	seen := make(map[string]int, len(c.Queues))
	for i, q := range c.Queues {
		key := fmt.Sprintf("queues[%d]", i)
		switch {
		case q.Name == "":
			errs = append(errs, fmt.Errorf("%s.name: required", key))
		case !queueNameRE.MatchString(q.Name):
			errs = append(errs, fmt.Errorf("%s.name: %q: use 1 to 64 letters, digits, '_', '.' and '-', starting with a letter or digit", key, q.Name))
		default:
			if j, dup := seen[q.Name]; dup {
				errs = append(errs, fmt.Errorf("%s.name: %q is already the name of queues[%d]", key, q.Name, j))
			}
			seen[q.Name] = i
		}
		if q.Weight < 0 || math.IsNaN(q.Weight) || math.IsInf(q.Weight, 0) {
			errs = append(errs, fmt.Errorf("%s.weight: must be positive (0 or unset means 1)", key))
		}
		switch strings.ToLower(q.Policy) {
		case "", PolicyFIFO, PolicyBackfill:
		default:
			errs = append(errs, fmt.Errorf("%s.policy: %q is not %s or %s", key, q.Policy, PolicyFIFO, PolicyBackfill))
		}
		for name, v := range map[string]float64{"max_running": float64(q.MaxRunning), "max_cpus": q.MaxCPUs,
			"max_running_per_user": float64(q.MaxRunningPerUser), "max_cpus_per_user": q.MaxCPUsPerUser} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				errs = append(errs, fmt.Errorf("%s.%s: must be a number, not negative (0 means no limit)", key, name))
			}
		}
	}
	slices.SortStableFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	if c.FairShareHalfLife <= 0 {
		errs = append(errs, errors.New("fair_share_half_life: must be positive (usage from one half-life ago counts half)"))
	}
	return errs
}

// effectiveQueues is the queue configuration with defaults applied: weight
// 1, policy fifo, and an implicit FIFO queue api.DefaultQueue of weight 1
// when none is named so. Validate has accepted c.
func (c *Config) effectiveQueues() []QueueConfig {
	out := make([]QueueConfig, 0, len(c.Queues)+1)
	for _, q := range c.Queues {
		if q.Weight == 0 {
			q.Weight = 1
		}
		q.Policy = strings.ToLower(q.Policy)
		if q.Policy == "" {
			q.Policy = PolicyFIFO
		}
		out = append(out, q)
	}
	if !slices.ContainsFunc(out, func(q QueueConfig) bool { return q.Name == api.DefaultQueue }) {
		out = append(out, QueueConfig{Name: api.DefaultQueue, Weight: 1, Policy: PolicyFIFO})
	}
	return out
}

// schedulerQueue is q as the scheduler sees it, without usage.
func schedulerQueue(q QueueConfig) scheduler.Queue {
	return scheduler.Queue{
		Name: q.Name, Weight: q.Weight, Backfill: q.Policy == PolicyBackfill, Preemption: q.Preemption,
		MaxRunning: q.MaxRunning, MaxMilliCPU: milliCPUs(q.MaxCPUs),
		MaxRunningPerUser: q.MaxRunningPerUser, MaxMilliCPUPerUser: milliCPUs(q.MaxCPUsPerUser),
	}
}

// milliCPUs converts CPUs to thousandths, rounded as a task's request is.
func milliCPUs(cpus float64) int64 { return api.Resources{CPU: cpus}.MilliCPU() }

// queueError refuses, on the field "queue", a queue name the server does
// not have ("" is api.DefaultQueue, which it always has), listing the
// known ones; nil when the queue exists.
func (s *Server) queueError(name string) *api.FieldError {
	if name == "" {
		return nil
	}
	names := make([]string, len(s.queues))
	for i, q := range s.queues {
		if q.Name == name {
			return nil
		}
		names[i] = q.Name
	}
	return &api.FieldError{Field: "queue", Message: fmt.Sprintf("unknown queue %q (queues: %s)", name, strings.Join(names, ", "))}
}

// Queues implements rest.Backend.
func (s *Server) Queues(_ context.Context, p rest.Principal) ([]api.Queue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queueViews(p), nil
}

// Queue implements rest.Backend.
func (s *Server) Queue(_ context.Context, p rest.Principal, name string) (api.Queue, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queueViews(p) {
		if q.Name == name {
			return q, nil
		}
	}
	return api.Queue{}, api.Errorf(api.CodeNotFound, "queue %q not found", name)
}

// queueViews renders every queue: its configuration, the ready tasks and
// running attempts in it (the ready queue's groups and the running
// index: no walk over every task) and fair-share usage, per user too.
// Users who are not admins get only their own line of each queue's
// users. Called with s.mu held.
func (s *Server) queueViews(p rest.Principal) []api.Queue {
	now := s.now()
	type qu struct{ queue, user string }
	users := map[qu]*api.QueueUser{}
	line := func(queue, user string) *api.QueueUser {
		u := users[qu{queue, user}]
		if u == nil {
			u = &api.QueueUser{Name: user}
			users[qu{queue, user}] = u
		}
		return u
	}
	for k, g := range s.ready.groups {
		if g.live > 0 {
			line(k.queue, k.user).Pending += g.live
		}
	}
	for _, ra := range s.running {
		u := line(ra.queue, ra.user)
		u.Running++
		u.RunningCPUs += float64(ra.milliCPU*int64(len(ra.nodes))) / 1000
	}
	out := make([]api.Queue, len(s.queues))
	for i, qc := range s.queues {
		q := api.Queue{
			Name: qc.Name, Weight: qc.Weight, Policy: qc.Policy, Preemption: qc.Preemption,
			MaxRunning: qc.MaxRunning, MaxCPUs: qc.MaxCPUs, MaxRunningPerUser: qc.MaxRunningPerUser, MaxCPUsPerUser: qc.MaxCPUsPerUser,
			Usage: s.fair.QueueUsage(qc.Name, now),
		}
		for user, u := range s.fair.UserUsage(qc.Name, now) {
			line(qc.Name, user).Usage = u
		}
		for k, u := range users {
			if k.queue != qc.Name {
				continue
			}
			q.Pending += u.Pending
			q.Running += u.Running
			q.RunningCPUs += u.RunningCPUs
			if q.Usage > 0 {
				u.Share = u.Usage / q.Usage
			}
			if p.IsAdmin() || u.Name == p.Name {
				q.Users = append(q.Users, *u)
			}
		}
		slices.SortFunc(q.Users, func(a, b api.QueueUser) int { return strings.Compare(a.Name, b.Name) })
		out[i] = q
	}
	return out
}
