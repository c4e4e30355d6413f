package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/store"
)

// SubmitJob implements rest.Backend. The job is written durably before it
// joins the index and before the caller gets its id; the wait for the write
// ignores ctx on purpose, so a client that hangs up cannot leave a stored
// job out of the index.
func (s *Server) SubmitJob(ctx context.Context, p rest.Principal, spec api.JobSpec) (api.SubmitResponse, error) {
	if len(spec.Tasks) == 0 {
		return api.SubmitResponse{}, api.Invalid([]api.FieldError{{Field: "tasks", Message: "a job needs at least one task"}})
	}
	total, err := checkArrays(&spec)
	if err != nil {
		return api.SubmitResponse{}, err
	}
	if err := s.checkPriority(p, spec.Priority); err != nil {
		return api.SubmitResponse{}, err
	}
	if err := s.checkSubmission(p, spec); err != nil {
		return api.SubmitResponse{}, err
	}
	adopted, err := s.adoptSubJob(p, &spec)
	if err != nil {
		return api.SubmitResponse{}, err
	}
	known, err := s.checkJobDeps(ctx, p, spec)
	if err != nil {
		return api.SubmitResponse{}, err
	}
	if spec.Queue == "" {
		spec.Queue = api.DefaultQueue // stored resolved: the view and a restart need no default
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return api.SubmitResponse{}, fmt.Errorf("encode job spec: %w", err)
	}
	now := s.now()
	s.mu.Lock()
	if s.stopped() {
		s.mu.Unlock()
		return api.SubmitResponse{}, api.SchedulerStoppedError()
	}
	s.nextJob++
	jobID := s.nextJob
	firstTask := s.nextTask + 1
	s.nextTask += int64(total)
	s.mu.Unlock()

	// The job holds the task IDs firstTask..firstTask+total-1; the rows of
	// array instances are written on their first change (arrays.go).
	jr := store.JobRecord{
		ID: jobID, Name: spec.Name, Owner: p.Name, Priority: int(spec.Priority),
		State: string(api.JobPending), Spec: data, SubmittedAt: now, Parent: spec.Parent,
		FirstTaskID: firstTask, TaskCount: total,
	}
	var trs []store.TaskRecord
	e := 0
	for _, ts := range spec.Tasks {
		if ts.Replicate == nil {
			trs = append(trs, store.TaskRecord{ID: firstTask + int64(e), JobID: jobID, Index: e, Name: ts.Name, State: string(api.TaskPending)})
		}
		e += ts.Instances()
	}
	j, trans, err := newJobState(jr, trs)
	if err != nil {
		return api.SubmitResponse{}, err
	}
	logs := []store.JobLogRecord{{JobID: jobID, Time: now, Message: submittedLine(p.Name, spec)}}
	if err := s.persist(store.Mutation{Jobs: []store.JobRecord{jr}, Tasks: trs, JobLogs: logs}); err != nil {
		return api.SubmitResponse{}, api.Errorf(api.CodeUnavailable, "the job could not be stored: %v", err)
	}

	var c change
	s.mu.Lock()
	s.jobs[jobID] = j
	for _, t := range j.tasks {
		s.tasks[t.rec.ID] = t
	}
	if spec.Parent != 0 {
		s.tree.add(jobID, spec.Parent)
	}
	failed, failedState, recheck := s.gateJob(j, known, now)
	c.jobEvent(j)
	s.applyTransitions(j, trans, &c)
	if failed != 0 {
		s.depEnded(j, failed, failedState, &c)
	}
	s.seal(&c)
	s.mu.Unlock()
	if err := s.commitChange(&c); err != nil {
		return api.SubmitResponse{}, err
	}
	if len(recheck) > 0 {
		s.recheckDeps(ctx, j, recheck)
	}
	s.log.Debug("job submitted", "job", jobID, "owner", p.Name, "tasks", total, "parent", spec.Parent)
	return api.SubmitResponse{ID: jobID, Warnings: append(adopted, s.submissionWarnings(ctx, p, spec)...)}, nil
}

// submissionWarnings names the tasks no current node could run (nodes
// may join later, so it is not an error). Jobs without selection scripts
// or node tokens take a quick look first: any node that is not gone and
// has the capacity, and there is nothing to say.
func (s *Server) submissionWarnings(ctx context.Context, p rest.Principal, spec api.JobSpec) []string {
	s.mu.Lock()
	quick := true
	for i := range spec.Tasks {
		t := &spec.Tasks[i]
		if len(t.Selection) > 0 || t.NodeToken != "" || !s.someNodeHolds(t, p) {
			quick = false
			break
		}
	}
	s.mu.Unlock()
	if quick {
		return nil
	}
	return warnings(s.judgeSpec(ctx, p, spec, true))
}

// someNodeHolds reports whether a node that is not gone, usable by p and
// without node tokens has the capacity for t. Called with s.mu held.
func (s *Server) someNodeHolds(t *api.TaskSpec, p rest.Principal) bool {
	cpu, mem := t.Resources.MilliCPU(), int64(t.Resources.Memory)
	for _, n := range s.reg.Nodes() {
		if n.Gone() || n.CapacityMilliCPU() < cpu || n.Facts.MemoryTotal < mem {
			continue
		}
		if src := s.sources[n.Source]; src != nil && len(src.spec.NodeTokens) == 0 && src.mayUse(p.Name, p.Groups) {
			return true
		}
	}
	return false
}
