package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/dataspace"
	"github.com/shrike-grid/shrike/rest"
	"github.com/shrike-grid/shrike/rm"
	"github.com/shrike-grid/shrike/scripts"
)

// maxNamedNodes is how many eligible nodes an explanation names.
const maxNamedNodes = 100

// nodeInfo is a node as a judgement sees it, copied under s.mu.
type nodeInfo struct {
	selNode
	unavailable string
	tokens      []string
	access      []string
	capCPU      int64
	capMem      int64
	capSlots    int
}

// nodeInfos copies every node, by name. Called with s.mu held.
func (s *Server) nodeInfos(now time.Time) []nodeInfo {
	nodes := s.reg.Nodes()
	out := make([]nodeInfo, len(nodes))
	for i, n := range nodes {
		out[i] = s.nodeInfoOf(n, now)
	}
	return out
}

func (s *Server) nodeInfoOf(n *rm.Node, now time.Time) nodeInfo {
	ni := nodeInfo{selNode: s.selNodeOf(n, now), unavailable: n.Unavailable(),
		capCPU: n.CapacityMilliCPU(), capMem: n.Facts.MemoryTotal, capSlots: n.Slots()}
	if src := s.sources[n.Source]; src != nil {
		ni.tokens, ni.access = src.spec.NodeTokens, src.spec.Access.Use
	}
	return ni
}

// judged is one task to judge: what it asks and who owns it.
type judged struct {
	name   string
	state  api.TaskState
	spec   *api.TaskSpec
	sel    *taskSel
	owner  string
	groups []string
}

// judge says whether node n can run task t. With capacity, resources are
// compared with the node's capacity (could it run the task at all?);
// without, with what is free now. short is the reason counted across
// nodes, detailed the node's own wording.
func (s *Server) judge(ctx context.Context, t *judged, n *nodeInfo, capacity bool, now time.Time) (v api.NodeVerdict, short string) {
	v.Node = n.name
	reject := func(counted, detail string) {
		if short == "" {
			short = counted
		}
		v.Reasons = append(v.Reasons, detail)
	}
	if n.unavailable != "" {
		reject(n.unavailable, n.unavailable)
	}
	switch tok := t.spec.NodeToken; {
	case tok == "" && len(n.tokens) > 0:
		reject("carry node tokens the task does not request", "carries node tokens "+strings.Join(n.tokens, ", ")+"; the task requests none")
	case tok != "" && !slices.Contains(n.tokens, tok):
		reject("do not carry node token "+tok, "does not carry node token "+tok)
	}
	if len(n.access) > 0 && !matches(n.access, t.owner, t.groups) {
		reject("their node source does not let the job's owner use them", "its node source does not let "+t.owner+" use it")
	}
	if ts := t.sel; ts != nil {
		if ts.err != "" {
			reject(ts.err, ts.err)
		}
		for i := range ts.static {
			b := &ts.static[i]
			sv, cached := s.sel.staticVerdict(ctx, b, &n.selNode)
			out := api.ScriptVerdict{Script: b.label, Type: api.SelectionStatic, Selected: sv.Selected, Cached: cached}
			if !sv.Selected {
				out.Reason = strings.TrimSpace(sv.Reason + ": " + sv.Err)
				if sv.Err == "" {
					out.Reason = sv.Reason
				}
				reject(rejectText(b.label, sv), b.label+": "+out.Reason)
			}
			v.Scripts = append(v.Scripts, out)
		}
		if len(ts.dynamic) > 0 {
			r, ok := s.sel.dyn.get(dynKey(ts.dynKey, n.name), now)
			for i, d := range ts.dynamic {
				out := api.ScriptVerdict{Script: d.Label, Type: api.SelectionDynamic, Pending: !ok}
				if ok {
					if i < len(r.verdicts) {
						out = r.verdicts[i]
					}
					out.Selected = r.selected
					if !r.selected {
						out.BackOff = timePtr(r.until)
					}
				}
				v.Scripts = append(v.Scripts, out)
			}
			if ok && !r.selected {
				reject(r.reason, r.reason+" (skipped until "+r.until.UTC().Format(time.TimeOnly)+")")
			}
		}
	}
	cpu, mem, slots := n.milliCPU, n.memory, n.slots
	if capacity {
		cpu, mem, slots = n.capCPU, n.capMem, n.capSlots
	}
	needCPU, needMem := t.spec.Resources.MilliCPU(), int64(t.spec.Resources.Memory)
	switch {
	case slots <= 0:
		reject("no free slot", "no free slot")
	case cpu < needCPU:
		reject(fmt.Sprintf("not enough cpu (needs %s)", formatMilli(needCPU)), fmt.Sprintf("not enough cpu (needs %s, has %s)", formatMilli(needCPU), formatMilli(max(cpu, 0))))
	case mem < needMem:
		reject(fmt.Sprintf("not enough memory (needs %s)", api.ByteSize(needMem)), fmt.Sprintf("not enough memory (needs %s, has %s)", api.ByteSize(needMem), api.ByteSize(max(mem, 0))))
	}
	v.Fits = len(v.Reasons) == 0
	return v, short
}

func formatMilli(m int64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", float64(m)/1000), "0"), ".")
}

// explainTask judges t on every node.
func (s *Server) explainTask(ctx context.Context, t *judged, nodes []nodeInfo, capacity bool, now time.Time) api.TaskExplain {
	te := api.TaskExplain{Task: t.name, State: t.state}
	counts := map[string]int{}
	for i := range nodes {
		v, short := s.judge(ctx, t, &nodes[i], capacity, now)
		if v.Fits {
			te.Eligible++
			if len(te.Nodes) < maxNamedNodes {
				te.Nodes = append(te.Nodes, v.Node)
			}
			continue
		}
		counts[short]++
	}
	if len(nodes) == 0 {
		counts["no nodes registered"] = 0
	}
	for msg, n := range counts {
		te.Reasons = append(te.Reasons, api.Reason{Count: n, Message: msg})
	}
	slices.SortFunc(te.Reasons, func(a, b api.Reason) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Message, b.Message))
	})
	return te
}

// warnings words the tasks no node can run.
func warnings(tasks []api.TaskExplain) []string {
	var out []string
	for _, te := range tasks {
		if te.Eligible > 0 {
			continue
		}
		var parts []string
		for _, r := range te.Reasons {
			parts = append(parts, fmt.Sprintf("%d nodes: %s", r.Count, r.Message))
		}
		out = append(out, fmt.Sprintf("task %s: no current node can run it (%s); it waits until one can", te.Task, strings.Join(parts, "; ")))
	}
	return out
}

// ExplainJob implements rest.Backend.
func (s *Server) ExplainJob(ctx context.Context, p rest.Principal, id int64, node string) (api.JobExplain, error) {
	job, err := s.GetJob(ctx, p, id)
	if err != nil {
		return api.JobExplain{}, err
	}
	out := api.JobExplain{JobID: id, Tasks: []api.TaskExplain{}}
	s.mu.Lock()
	j := s.jobs[id]
	if j == nil { // over: nothing waits
		s.mu.Unlock()
		return out, nil
	}
	now := s.now()
	var target *nodeInfo
	if node != "" {
		n := s.reg.Get(node)
		if n == nil {
			s.mu.Unlock()
			return api.JobExplain{}, nodeNotFound(node)
		}
		ni := s.nodeInfoOf(n, now)
		target = &ni
	}
	nodes := s.nodeInfos(now)
	var todo []judged
	var unplaced [][]api.Reason
	var waitingDeps []bool
	groups := s.userGroups[j.rec.Owner]
	hold := s.holdReason(j, now)
	for _, t := range j.tasks {
		if api.TaskState(t.rec.State) == api.TaskInError {
			out.Tasks = append(out.Tasks, api.TaskExplain{Task: t.rec.Name, State: api.TaskInError, Reasons: []api.Reason{{
				Message: "failed for good and suspended (on_task_error: suspend_task): restart it (job task restart, job restart-failed) or kill it"}}})
			continue
		}
		if api.TaskState(t.rec.State) != api.TaskPending {
			continue
		}
		todo = append(todo, judged{name: t.rec.Name, state: api.TaskPending, spec: t.spec, sel: s.selectionOf(t), owner: j.rec.Owner, groups: groups})
		var rs []api.Reason
		for _, r := range t.unplaced {
			rs = append(rs, api.Reason{Count: r.Count, Message: r.Message})
		}
		unplaced = append(unplaced, rs)
		waitingDeps = append(waitingDeps, !t.queued)
	}
	s.mu.Unlock()
	_ = job
	// An array's instances share their spec: judged once, not 100,000 times.
	bySpec := map[*api.TaskSpec]api.TaskExplain{}
	for i := range todo {
		te, seen := bySpec[todo[i].spec]
		if !seen {
			te = s.explainTask(ctx, &todo[i], nodes, false, now)
			bySpec[todo[i].spec] = te
		}
		te.Task = todo[i].name
		switch {
		case hold != "":
			te.Reasons = append([]api.Reason{{Count: 0, Message: hold}}, te.Reasons...)
		case waitingDeps[i]:
			te.Reasons = append([]api.Reason{{Count: 0, Message: "waiting for the tasks it depends on"}}, te.Reasons...)
		case len(unplaced[i]) > 0:
			te.Reasons = unplaced[i] // what the last scheduling cycle found
		}
		if target != nil {
			v, _ := s.judge(ctx, &todo[i], target, false, now)
			if d := todo[i].sel; d != nil && len(d.dynamic) > 0 {
				s.askNow(d, &v, target.name)
			}
			te.Node = &v
		}
		out.Tasks = append(out.Tasks, te)
	}
	return out, nil
}

// askNow evaluates a task's dynamic scripts on node at once (explain
// --node) and puts the live verdicts in v.
func (s *Server) askNow(ts *taskSel, v *api.NodeVerdict, node string) {
	verdicts, err := s.runDynamic(node, ts.dynamic)
	kept := v.Scripts[:0]
	for _, sv := range v.Scripts {
		if sv.Type != api.SelectionDynamic {
			kept = append(kept, sv)
		}
	}
	v.Scripts = kept
	if err != nil {
		v.Reasons = append(v.Reasons, "dynamic scripts: "+err.Error())
		v.Fits = false
		return
	}
	for _, sv := range verdicts {
		v.Scripts = append(v.Scripts, sv)
		if !sv.Selected {
			v.Reasons = append(v.Reasons, dynamicRejectText(sv)+" (evaluated now)")
			v.Fits = false
		}
	}
}

// runDynamic asks node to evaluate dynamic scripts now.
func (s *Server) runDynamic(node string, list []api.DynamicScript) ([]api.ScriptVerdict, error) {
	timeout := s.cfg.RequestTimeout
	req := make([]api.DynamicScript, len(list))
	for i, d := range list {
		d.Timeout = api.Duration(s.cfg.SelectionTimeout)
		req[i] = d
		timeout += s.cfg.SelectionTimeout
	}
	var reply api.CommandReply
	err := s.requestWithin(api.SubjectCommand(node), api.Command{Select: &api.SelectRequest{Scripts: req}}, &reply, timeout)
	if errors.Is(err, errNotConnected) {
		return nil, fmt.Errorf("node %s is not connected", node)
	}
	if err != nil {
		return nil, fmt.Errorf("node %s did not answer: %w", node, err)
	}
	if reply.Error != nil {
		return nil, reply.Error
	}
	return reply.Verdicts, nil
}

// judgeSpec judges every task of a job that is not stored (dry run,
// submission warnings): each task as if its dependencies were met.
func (s *Server) judgeSpec(ctx context.Context, p rest.Principal, spec api.JobSpec, capacity bool) []api.TaskExplain {
	s.mu.Lock()
	now := s.now()
	nodes := s.nodeInfos(now)
	groups := s.userGroups[p.Name]
	s.mu.Unlock()
	out := make([]api.TaskExplain, 0, len(spec.Tasks))
	// Tasks that ask alike are judged once.
	done := map[string]api.TaskExplain{}
	for i := range spec.Tasks {
		ts := &spec.Tasks[i]
		var sel *taskSel
		if len(ts.Selection) > 0 {
			sel = s.sel.buildTaskSel(ts, spec.Variables)
		}
		key := fmt.Sprintf("%d|%d|%s|", ts.Resources.MilliCPU(), ts.Resources.Memory, ts.NodeToken)
		if sel != nil {
			key += sel.classKey
		}
		te, ok := done[key]
		if !ok {
			te = s.explainTask(ctx, &judged{name: ts.Name, state: api.TaskPending, spec: ts, sel: sel, owner: p.Name, groups: groups}, nodes, capacity, now)
			done[key] = te
		}
		te.Task = ts.Name
		out = append(out, te)
	}
	return out
}

// DryRunJob implements rest.Backend: nothing is stored.
func (s *Server) DryRunJob(ctx context.Context, p rest.Principal, spec api.JobSpec) (api.JobExplain, error) {
	if err := s.checkSubmission(p, spec); err != nil {
		return api.JobExplain{}, err
	}
	tasks := s.judgeSpec(ctx, p, spec, true)
	return api.JobExplain{Tasks: tasks, Warnings: warnings(tasks)}, nil
}

// checkSubmission refuses what the parser cannot know: a queue the server
// does not have, selection scripts not on the allow-list. Every problem is
// reported.
func (s *Server) checkSubmission(p rest.Principal, spec api.JobSpec) error {
	var errs []api.FieldError
	if fe := s.queueError(spec.Queue); fe != nil {
		errs = append(errs, *fe)
	}
	if !s.mayWriteGlobal(p) {
		const msg = "you may not write the global space (admins and the server's global_writers may)"
		if kind, _, err := dataspace.ParseRef(spec.OutputSpace); err == nil && kind == api.SpaceGlobal {
			errs = append(errs, api.FieldError{Field: "output_space", Message: msg})
		}
		for i, t := range spec.Tasks {
			for j, o := range t.OutputFiles {
				if o.To == api.SpaceGlobal {
					errs = append(errs, api.FieldError{Field: fmt.Sprintf("tasks[%d].output_files[%d].to", i, j), Message: msg})
				}
			}
		}
	}
	if len(s.cfg.SelectionAllowlist) == 0 || p.IsAdmin() {
		if len(errs) > 0 {
			return api.Invalid(errs)
		}
		return nil
	}
	for i, t := range spec.Tasks {
		for j, sc := range t.Selection {
			if sc.File != "" {
				continue // the shipped library
			}
			d := scripts.Digest(sc.Lua)
			if !slices.ContainsFunc(s.cfg.SelectionAllowlist, func(a string) bool { return strings.EqualFold(a, d) }) {
				errs = append(errs, api.FieldError{Field: fmt.Sprintf("tasks[%d].selection[%d].lua", i, j),
					Message: "this script (sha256 " + d + ") is not on the server's selection allow-list: use a library script (file:) or ask an admin to allow it"})
			}
		}
	}
	if len(errs) > 0 {
		return api.Invalid(errs)
	}
	return nil
}

// TestScript implements rest.Backend (admins only).
func (s *Server) TestScript(ctx context.Context, p rest.Principal, req api.ScriptTestRequest) (api.ScriptTestResult, error) {
	if err := requireAdmin(p, "test selection scripts"); err != nil {
		return api.ScriptTestResult{}, err
	}
	sp := req.Script
	var errs []api.FieldError
	if req.Node == "" {
		errs = append(errs, api.FieldError{Field: "node", Message: "required"})
	}
	if (sp.Lua == "") == (sp.File == "") {
		errs = append(errs, api.FieldError{Field: "script", Message: "give exactly one of lua and file"})
	}
	if sp.Type == "" {
		sp.Type = api.SelectionStatic
	}
	if sp.Type != api.SelectionStatic && sp.Type != api.SelectionDynamic {
		errs = append(errs, api.FieldError{Field: "script.type", Message: fmt.Sprintf("%q: use static or dynamic", sp.Type)})
	}
	src, err := "", error(nil)
	if len(errs) == 0 {
		if src, err = scriptSource(sp); err != nil {
			errs = append(errs, api.FieldError{Field: "script.file", Message: err.Error()})
		}
	}
	label := sp.Label(0)
	if sp.File == "" {
		label = "script"
	}
	if len(errs) == 0 {
		if _, cerr := scripts.Compile(label, src); cerr != nil {
			errs = append(errs, api.FieldError{Field: "script.lua", Message: cerr.Error()})
		}
	}
	if len(errs) > 0 {
		return api.ScriptTestResult{}, api.Invalid(errs)
	}
	s.mu.Lock()
	n := s.reg.Get(req.Node)
	var sn selNode
	if n != nil {
		sn = s.selNodeOf(n, s.now())
	}
	s.mu.Unlock()
	if n == nil {
		return api.ScriptTestResult{}, nodeNotFound(req.Node)
	}
	res := api.ScriptTestResult{Node: req.Node, Digest: scripts.Digest(src)}
	start := time.Now()
	if sp.Type == api.SelectionDynamic {
		vs, err := s.runDynamic(req.Node, []api.DynamicScript{{Label: label, Source: src, Args: sp.Args, Vars: req.Vars}})
		if err != nil {
			return api.ScriptTestResult{}, api.Errorf(api.CodeUnavailable, "%v", err)
		}
		if len(vs) == 1 {
			res.Verdict = vs[0]
		}
	} else {
		sc, _ := s.sel.compile(label, src)
		v := s.sel.engine.Evaluate(ctx, sc, sn.view(), req.Vars, sp.Args)
		res.Verdict = api.ScriptVerdict{Script: label, Type: api.SelectionStatic, Selected: v.Selected, Reason: v.Reason}
		if v.Err != "" {
			res.Verdict.Reason += ": " + v.Err
		}
		res.Facts = viewFacts(sn.view())
	}
	res.Duration = api.Duration(time.Since(start))
	return res, nil
}

// viewFacts is the node table as a map, for `shrike script test`.
func viewFacts(v scripts.NodeView) map[string]any {
	return map[string]any{
		"name": v.Name, "hostname": v.Hostname, "os": v.OS, "arch": v.Arch, "cpus": v.CPUs,
		"mem_total": v.MemTotal, "mem_free": v.MemFree, "disk_free": v.DiskFree, "load1": v.Load1,
		"gpus": map[string]any{"count": v.GPUs.Count, "models": v.GPUs.Models}, "tags": v.Tags,
		"source": v.Source, "ip": v.IP, "idle_seconds": v.IdleSeconds, "facts": v.Facts,
	}
}
