package resttest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// maxExplainNodes is how many eligible node names a TaskExplain lists.
const maxExplainNodes = 100

// The fake's placement model, a small copy of the scheduler's checks in
// its order: a node can run a task when it takes work (FREE or BUSY, not
// locked, draining or withheld), every selection script of the task
// selects it, and it has a free slot, the CPU and the memory the task
// asks for. Selection scripts run in the real engine (package scripts)
// against the node's facts (its fields and SetNodeFacts); static verdicts
// are cached until the node's facts change, dynamic scripts are evaluated
// the same way each time (the fake has no agent to ask).

// SetNodeFacts sets what a node reports beyond its api.Node fields (GPUs,
// IPs, free disk, custom facts) for GetNode and the selection scripts.
// The node's cached verdicts are forgotten.
func (f *FakeBackend) SetNodeFacts(name string, facts api.NodeFacts) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.facts[name] = facts
	f.factsGen++
}

// ExplainJob implements rest.Backend: for each pending task, the reasons
// of the nodes that cannot run it (each node counted once, by its first
// reason) and, with node set, that node's verdict. An unknown node is not
// found, as is another user's job.
func (f *FakeBackend) ExplainJob(ctx context.Context, p rest.Principal, id int64, node string) (api.JobExplain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, err := f.jobLocked(p, id)
	if err != nil {
		return api.JobExplain{}, err
	}
	if node != "" {
		if _, err := f.nodeLocked(node); err != nil {
			return api.JobExplain{}, err
		}
	}
	out := api.JobExplain{JobID: id, Tasks: []api.TaskExplain{}}
	for _, t := range j.job.Tasks {
		if t.State != api.TaskPending {
			continue
		}
		spec, _ := taskSpec(j.spec, t.Name)
		out.Tasks = append(out.Tasks, f.explainTaskLocked(ctx, spec, j.spec.Variables, node))
	}
	return out, nil
}

// DryRunJob implements rest.Backend: every task explained as if the job
// were submitted now, a warning for each task no node can run, nothing
// stored. Selection scripts are checked as SubmitJob checks them.
func (f *FakeBackend) DryRunJob(ctx context.Context, _ rest.Principal, spec api.JobSpec) (api.JobExplain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return api.JobExplain{}, f.fail
	}
	if errs := checkSelection(spec); len(errs) > 0 {
		return api.JobExplain{}, api.Invalid(errs)
	}
	out := api.JobExplain{Tasks: []api.TaskExplain{}}
	for _, t := range spec.Tasks {
		te := f.explainTaskLocked(ctx, t, spec.Variables, "")
		out.Tasks = append(out.Tasks, te)
		if te.Eligible == 0 {
			out.Warnings = append(out.Warnings, "task "+t.Name+": no current node can run it: "+api.JoinReasons(te.Reasons))
		}
	}
	return out, nil
}

// taskSpec finds a task of a job document by name.
func taskSpec(spec api.JobSpec, name string) (api.TaskSpec, bool) {
	for _, t := range spec.Tasks {
		if t.Name == name {
			return t, true
		}
	}
	return api.TaskSpec{Name: name}, false
}

// explainTaskLocked checks one task against every node.
func (f *FakeBackend) explainTaskLocked(ctx context.Context, t api.TaskSpec, vars map[string]string, node string) api.TaskExplain {
	te := api.TaskExplain{Task: t.Name, State: api.TaskPending}
	counts := map[string]int{}
	for _, n := range f.nodes {
		v := f.nodeVerdictLocked(ctx, n, t, vars)
		if n.Name == node {
			te.Node = &v
		}
		if v.Fits {
			te.Eligible++
			te.Nodes = append(te.Nodes, n.Name)
			continue
		}
		counts[v.Reasons[0]]++
	}
	if len(f.nodes) == 0 {
		te.Reasons = []api.Reason{{Message: "no nodes registered"}}
	}
	for msg, n := range counts {
		te.Reasons = append(te.Reasons, api.Reason{Count: n, Message: msg})
	}
	slices.SortFunc(te.Reasons, func(a, b api.Reason) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Message, b.Message))
	})
	slices.Sort(te.Nodes)
	if len(te.Nodes) > maxExplainNodes {
		te.Nodes = te.Nodes[:maxExplainNodes]
	}
	return te
}

// nodeVerdictLocked checks task t (of a job with vars) against node n,
// in the scheduler's order, and lists every reason it cannot run there.
func (f *FakeBackend) nodeVerdictLocked(ctx context.Context, n api.Node, t api.TaskSpec, vars map[string]string) api.NodeVerdict {
	v := api.NodeVerdict{Node: n.Name}
	if r := unavailable(n); r != "" {
		v.Reasons = append(v.Reasons, r)
	}
	for i, s := range t.Selection {
		sv := f.evaluateLocked(ctx, n, s, s.Label(i), vars)
		v.Scripts = append(v.Scripts, sv)
		if !sv.Selected {
			v.Reasons = append(v.Reasons, scriptReason(sv))
		}
	}
	if n.Slots <= len(n.RunningTasks) {
		v.Reasons = append(v.Reasons, "no free slot")
	}
	cpu := cmp.Or(t.Resources.CPU, api.DefaultTaskCPU)
	if free := float64(n.CPUs) - n.UsedCPU; cpu > free {
		v.Reasons = append(v.Reasons, fmt.Sprintf("not enough cpu (needs %g, free %g)", cpu, free))
	}
	if free := n.Memory - n.UsedMemory; int64(t.Resources.Memory) > free {
		v.Reasons = append(v.Reasons, fmt.Sprintf("not enough memory (needs %s, free %s)",
			t.Resources.Memory, api.ByteSize(max(0, free))))
	}
	v.Fits = len(v.Reasons) == 0
	return v
}

// unavailable says why a node takes no work at all, or "".
func unavailable(n api.Node) string {
	switch {
	case n.State != api.NodeFree && n.State != api.NodeBusy:
		return strings.ToLower(string(n.State))
	case n.Locked != nil:
		return "locked"
	case n.Draining:
		return "draining"
	}
	return n.Withheld
}

// scriptReason is a script's rejection as a node reason: "gpu.lua
// returned false", or the error, which names the script already.
func scriptReason(sv api.ScriptVerdict) string {
	if sv.Reason == reasonFalse {
		return sv.Script + " " + sv.Reason
	}
	if strings.HasPrefix(sv.Reason, sv.Script+":") {
		return sv.Reason
	}
	return sv.Script + ": " + sv.Reason
}
