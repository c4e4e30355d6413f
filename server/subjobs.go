package server

import (
	"fmt"
	"slices"
	"sync"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// Sub-jobs: a running task submits jobs with its job-scoped token
// (tasktoken.go); each becomes a child of the task's job. The links live
// on the job rows (jobs.parent) and, for every job ever submitted with a
// parent, in jobTree, rebuilt at start: the index (s.jobs) holds only jobs
// that are not over, while a tree outlives its finished members (a
// finished parent's running children are still killed with it, still
// listed under it, and still in its tasks' scope).

// jobTree is the parent → children index of sub-jobs. It has its own lock
// so that access checks can use it with or without s.mu held (s.mu is
// always taken first).
type jobTree struct {
	mu       sync.RWMutex
	parent   map[int64]int64
	children map[int64][]int64
}

// add records that child was submitted by a task of parent.
func (t *jobTree) add(child, parent int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.parent == nil {
		t.parent, t.children = make(map[int64]int64), make(map[int64][]int64)
	}
	t.parent[child] = parent
	t.children[parent] = append(t.children[parent], child)
}

// load replaces the index with child → parent links (from the store).
func (t *jobTree) load(parents map[int64]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.parent, t.children = make(map[int64]int64, len(parents)), make(map[int64][]int64)
	for c, p := range parents {
		t.parent[c] = p
		t.children[p] = append(t.children[p], c)
	}
	for _, cs := range t.children {
		slices.Sort(cs)
	}
}

// childrenOf returns the jobs that id's tasks submitted, oldest first.
func (t *jobTree) childrenOf(id int64) []int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Clone(t.children[id])
}

// descendants returns every job below id, parents before their children.
func (t *jobTree) descendants(id int64) []int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []int64
	for queue := []int64{id}; len(queue) > 0; queue = queue[1:] {
		for _, c := range t.children[queue[0]] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// within reports whether id is ancestor or one of its descendants.
func (t *jobTree) within(id, ancestor int64) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for ; id != 0; id = t.parent[id] {
		if id == ancestor {
			return true
		}
	}
	return false
}

// root returns the top of id's tree (a job a user submitted) and how deep
// id is below it.
func (t *jobTree) root(id int64) (root int64, depth int) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for {
		p := t.parent[id]
		if p == 0 {
			return id, depth
		}
		id, depth = p, depth+1
	}
}

// size counts the descendants of id.
func (t *jobTree) size(id int64) int { return len(t.descendants(id)) }

// errScopeRead and errScopeControl are the answers to a job-scoped
// caller reaching past its tree.
func errScopeRead(p rest.Principal) error {
	return api.Errorf(api.CodeForbidden, "a job-scoped token may only reach its own job (%d) and the jobs its tasks submitted", p.Scope.JobID)
}

func errScopeControl(p rest.Principal, id int64) error {
	if id == p.Scope.JobID {
		return api.Errorf(api.CodeForbidden, "a job-scoped token may only kill its own job (%d), not control it otherwise; it may control the jobs its tasks submitted", id)
	}
	return errScopeRead(p)
}

// inScope reports whether p may read job id: always, unless p is a
// job-scoped caller; then id must be its job or one of its descendants.
// The caller checks ownership (visible) separately.
func (s *Server) inScope(p rest.Principal, id int64) bool {
	return p.Scope == nil || s.tree.within(id, p.Scope.JobID)
}

// checkControl is inScope for changes other than a kill: a job-scoped
// caller may control its descendants, not its own job (it may kill it).
func (s *Server) checkControl(p rest.Principal, id int64) error {
	if p.Scope == nil {
		return nil
	}
	if id == p.Scope.JobID || !s.tree.within(id, p.Scope.JobID) {
		return errScopeControl(p, id)
	}
	return nil
}

// scopeJob is the job of a job-scoped caller, 0 for others.
func scopeJob(p rest.Principal) int64 {
	if p.Scope == nil {
		return 0
	}
	return p.Scope.JobID
}

// scopeTree lists the jobs a job-scoped caller may list: its job and all
// below it.
func (s *Server) scopeTree(p rest.Principal) []int64 {
	return append([]int64{p.Scope.JobID}, s.tree.descendants(p.Scope.JobID)...)
}

// adoptSubJob makes spec, submitted by a job-scoped caller, a child of the
// caller's job: its parent is set, its priority is capped at the parent's
// (with a warning), and the tree limits are checked. An unscoped caller
// cannot set a parent.
func (s *Server) adoptSubJob(p rest.Principal, spec *api.JobSpec) (warnings []string, err error) {
	if p.Scope == nil {
		spec.Parent = 0
		return nil, nil
	}
	parent := p.Scope.JobID
	spec.Parent = parent
	s.mu.Lock()
	j := s.jobs[parent]
	over := j == nil || api.JobState(j.rec.State).Terminal()
	var pr api.Priority
	if !over {
		pr = api.Priority(j.rec.Priority)
	}
	s.mu.Unlock()
	if over {
		return nil, api.Errorf(api.CodeConflict, "job %d is over: its tasks can no longer submit jobs", parent)
	}
	if spec.Priority > pr {
		warnings = append(warnings, fmt.Sprintf("priority lowered from %s to %s, the priority of parent job %d", spec.Priority, pr, parent))
		spec.Priority = pr
	}
	root, depth := s.tree.root(parent)
	if max := s.cfg.MaxSubJobDepth; max > 0 && depth+1 > max {
		return nil, api.Errorf(api.CodeForbidden, "job %d is already %d levels below job %d: sub-jobs may go %d levels deep (max_sub_job_depth)", parent, depth, root, max)
	}
	if max := s.cfg.MaxSubJobs; max > 0 && s.tree.size(root) >= max {
		return nil, api.Errorf(api.CodeForbidden, "job %d already has %d sub-jobs below it, the most allowed (max_sub_jobs)", root, max)
	}
	return warnings, nil
}

// killDescendants kills every job below id that is not over, to any depth,
// as part of change c: "parent job N was killed" for id's children,
// "ancestor job N was killed" further down. It reports how many it
// killed. Called with s.mu held.
func (s *Server) killDescendants(id int64, c *change) int {
	n := 0
	children := s.tree.childrenOf(id)
	for _, d := range s.tree.descendants(id) {
		j := s.jobs[d]
		if j == nil || api.JobState(j.rec.State).Terminal() {
			continue
		}
		why := fmt.Sprintf("ancestor job %d was killed", id)
		if slices.Contains(children, d) {
			why = fmt.Sprintf("parent job %d was killed", id)
		}
		s.killJobTasks(j, why, c)
		s.setJobState(j, api.JobKilled, c)
		n++
	}
	return n
}
