package server

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rm"
	"github.com/shrike-grid/shrike/scheduler"
	"github.com/shrike-grid/shrike/scripts"
)

// selector evaluates selection scripts: static ones here, against the
// nodes' facts, with their verdicts cached per (script, args, vars; node;
// facts generation); dynamic ones on the nodes (dynamic.go). It has its
// own locks: evaluation happens outside s.mu.
type selector struct {
	engine *scripts.Engine
	cache  *scripts.VerdictCache

	mu       sync.Mutex
	compiled map[string]*scripts.Script // by digest: compile once
	// memos keep each class's static verdicts of the previous cycle, by
	// class key (used by the scheduling loop only).
	memos map[string]*classMemo
	cycle uint64

	dyn *dynamicVerdicts
}

func newSelector(backoff time.Duration) (*selector, error) {
	e, err := scripts.NewEngine(scripts.Options{})
	if err != nil {
		return nil, err
	}
	return &selector{engine: e, cache: scripts.NewVerdictCache(0), compiled: map[string]*scripts.Script{},
		memos: map[string]*classMemo{}, dyn: newDynamicVerdicts(backoff)}, nil
}

// source returns a selection script's Lua source (a library file is
// looked up by name).
func scriptSource(sp api.SelectionScript) (string, error) {
	if sp.File == "" {
		return sp.Lua, nil
	}
	src, ok := scripts.Library(sp.File)
	if !ok {
		return "", fmt.Errorf("no selection script %q in the library", sp.File)
	}
	return src, nil
}

// compile compiles a script once per digest.
func (sl *selector) compile(label, src string) (*scripts.Script, error) {
	digest := scripts.Digest(src)
	sl.mu.Lock()
	sc := sl.compiled[digest]
	sl.mu.Unlock()
	if sc != nil {
		return sc, nil
	}
	sc, err := scripts.Compile(label, src)
	if err != nil {
		return nil, err
	}
	sl.mu.Lock()
	sl.compiled[digest] = sc
	sl.mu.Unlock()
	return sc, nil
}

// boundScript is one static selection script of a task.
type boundScript struct {
	label    string
	sel      scripts.Selection
	volatile bool // reads facts that heartbeats refresh
}

// taskSel is a task's selection scripts, compiled and bound to the job's
// variables once. classKey identifies tasks that select alike.
type taskSel struct {
	static   []boundScript
	dynamic  []api.DynamicScript
	dynKey   string // identifies the dynamic list (scripts, args, vars)
	classKey string
	err      string // a script that no longer compiles: the task waits with this reason
}

// volatileFields are the node-table names whose values heartbeats
// refresh; a script that mentions one (or a helper reading one) is
// re-evaluated whenever they change, the others only when a node's
// registration facts change.
var volatileFields = []string{"mem_free", "load1", "disk_free", "idle_seconds",
	"min_free_memory", "min_disk", "max_load", "min_idle", "node["}

func isVolatile(src string) bool {
	for _, f := range volatileFields {
		if strings.Contains(src, f) {
			return true
		}
	}
	return false
}

// buildTaskSel compiles t's selection scripts.
func (sl *selector) buildTaskSel(spec *api.TaskSpec, vars map[string]string) *taskSel {
	ts := &taskSel{}
	var keys []string
	for i, sp := range spec.Selection {
		label := sp.Label(i)
		src, err := scriptSource(sp)
		if err != nil {
			ts.err = label + ": " + err.Error()
			break
		}
		if sp.Type == api.SelectionDynamic {
			d := api.DynamicScript{Label: label, Source: src, Args: sp.Args, Vars: vars}
			ts.dynamic = append(ts.dynamic, d)
			k := scripts.NewSelection(&scripts.Script{Digest: scripts.Digest(src)}, vars, sp.Args).Key()
			ts.dynKey += k.String()
			keys = append(keys, "d"+k.String())
			continue
		}
		sc, err := sl.compile(label, src)
		if err != nil {
			ts.err = label + ": " + err.Error()
			break
		}
		b := boundScript{label: label, sel: scripts.NewSelection(sc, vars, sp.Args), volatile: isVolatile(src)}
		ts.static = append(ts.static, b)
		keys = append(keys, "s"+b.sel.Key().String())
	}
	ts.classKey = strings.Join(keys, ",") + "|" + ts.err
	return ts
}

// selectionOf returns t's compiled selection, nil when it has none.
// Called with s.mu held.
func (s *Server) selectionOf(t *taskState) *taskSel {
	if len(t.spec.Selection) == 0 {
		return nil
	}
	if t.sel == nil {
		t.sel = s.sel.buildTaskSel(t.spec, t.job.spec.Variables)
	}
	return t.sel
}

// selRef is what a scheduling cycle's selection needs of every node:
// enough for cache lookups and probing decisions, copied under s.mu.
type selRef struct {
	name              string
	factsGen, loadGen uint64
	free              bool // takes work now (Unavailable == "")
	milliCPU, memory  int64
	slots             int
}

// gen is the generation a verdict of b on the node is cached under.
func (r *selRef) gen(b *boundScript) uint64 {
	if b.volatile {
		return r.factsGen<<32 ^ r.loadGen
	}
	return r.factsGen
}

// selNode is a node with its facts, for evaluating scripts on it.
type selNode struct {
	selRef
	facts  api.NodeFacts
	source string
	idle   float64
}

// view is the node table a script sees.
func (n *selNode) view() scripts.NodeView {
	v := scripts.NodeViewFromFacts(n.name, n.facts)
	v.Source, v.IdleSeconds = n.source, n.idle
	return v
}

// selNodeOf copies what selection needs of n. Called with s.mu held.
func (s *Server) selNodeOf(n *rm.Node, now time.Time) selNode {
	cpu, mem, slots := n.Free()
	sn := selNode{selRef: selRef{name: n.Name, factsGen: n.FactsGen, loadGen: n.LoadGen,
		free: n.Schedulable(), milliCPU: cpu, memory: mem, slots: slots}, facts: n.Facts, source: n.Source}
	switch {
	case n.Owner != nil:
		sn.idle = time.Duration(n.Owner.InputIdle).Seconds()
	case n.Empty() && !n.IdleSince.IsZero():
		sn.idle = now.Sub(n.IdleSince).Seconds()
	}
	return sn
}

// staticReject evaluates b on n (from the cache when it can) and returns
// why it rejects n, or "" when it selects it, with the verdict.
func (sl *selector) staticVerdict(ctx context.Context, b *boundScript, n *selNode) (scripts.Verdict, bool) {
	gen := n.selRef.gen(b)
	if v, ok := sl.cache.Get(b.sel.Key(), n.name, gen); ok {
		return v, true
	}
	return sl.engine.Select(ctx, sl.cache, b.sel, n.view(), gen), false
}

// rejectText is the reason counted across nodes for a false verdict.
func rejectText(label string, v scripts.Verdict) string {
	if v.Reason == scripts.ReasonFalse {
		return label + " returned false"
	}
	return label + ": " + v.Reason
}

// classMemo is a class's static verdicts in the previous cycle: while the
// registry lists the same nodes (layout), a node whose generation did not
// change keeps its verdict without a cache lookup.
type classMemo struct {
	layout  uint64
	gens    []uint64 // 0: not evaluated (the node took no work)
	rejects []string
	out     []string // this cycle's verdicts, static then dynamic
	used    uint64   // the cycle that last used it
}

// memoGen is the generation a class's static verdicts on a node depend on.
func memoGen(ts *taskSel, r *selRef) uint64 {
	for i := range ts.static {
		if ts.static[i].volatile {
			return (r.factsGen<<32 ^ r.loadGen) | 1
		}
	}
	return r.factsGen | 1<<63
}

// classWork is one selection class of a cycle: the tasks' shared scripts
// and the verdicts on each snapshot node.
type classWork struct {
	sel     *taskSel
	need    [2]int64 // the smallest (cpu, memory) of its tasks, for probing
	tasks   int
	rejects []string
}

// classify gives every queued task with selection scripts its class, and
// copies the nodes selection needs. Called with s.mu held.
func (s *Server) classify(snap *scheduler.Snapshot, head []*taskState) ([]*classWork, []selRef) {
	var classes []*classWork
	index := map[string]int{}
	for i, t := range head {
		ts := s.selectionOf(t)
		if ts == nil {
			continue
		}
		k, ok := index[ts.classKey]
		if !ok {
			k = len(classes)
			index[ts.classKey] = k
			classes = append(classes, &classWork{sel: ts, need: [2]int64{t.qt.MilliCPU, t.qt.Memory}})
		}
		cw := classes[k]
		cw.tasks++
		cw.need[0], cw.need[1] = min(cw.need[0], t.qt.MilliCPU), min(cw.need[1], t.qt.Memory)
		snap.Queue[i].Class = k + 1
	}
	if len(classes) == 0 {
		return nil, nil
	}
	// Only what cache lookups need; the facts of the nodes whose verdicts
	// are missing are copied later (evaluateStatic).
	s.selLayout = s.reg.Layout()
	// snapshot copied them (the queue holds tasks with scripts); cycles
	// run one at a time, and the next snapshot rewrites them.
	return classes, s.selRefs
}

// evaluate fills each class's verdicts on every node that takes work:
// static scripts from the cache or evaluated now (in parallel), dynamic
// ones from what nodes answered, asking candidates that have not answered
// yet. Runs without s.mu.
func (s *Server) evaluateClasses(ctx context.Context, snap *scheduler.Snapshot, classes []*classWork, nodes []selRef) {
	for _, cw := range classes {
		s.evaluateStatic(ctx, cw, nodes)
		if len(cw.sel.dynamic) > 0 {
			s.evaluateDynamic(cw, nodes, snap.Now)
		}
		snap.Classes = append(snap.Classes, scheduler.Class{Rejects: cw.rejects})
	}
}

func (s *Server) evaluateStatic(ctx context.Context, cw *classWork, nodes []selRef) {
	if cw.sel.err != "" || len(cw.sel.static) == 0 {
		cw.rejects = make([]string, len(nodes))
	}
	if cw.sel.err != "" {
		for i := range cw.rejects {
			cw.rejects[i] = cw.sel.err
		}
		return
	}
	if len(cw.sel.static) == 0 {
		return
	}
	texts := map[string]string{} // one string per (script, reason), not per node
	text := func(b *boundScript, v scripts.Verdict) string {
		k := b.label + "\x00" + v.Reason
		t, ok := texts[k]
		if !ok {
			t = rejectText(b.label, v)
			texts[k] = t
		}
		return t
	}
	// Last cycle's verdicts where nothing changed.
	s.sel.cycle++
	memo := s.sel.memos[cw.sel.classKey]
	if memo == nil || memo.layout != s.selLayout || len(memo.gens) != len(nodes) {
		memo = &classMemo{layout: s.selLayout, gens: make([]uint64, len(nodes)), rejects: make([]string, len(nodes))}
		s.sel.memos[cw.sel.classKey] = memo
		if len(s.sel.memos) > 256 {
			s.sel.dropOldMemos()
		}
	}
	memo.used = s.sel.cycle
	// The class's verdicts this cycle go in a table the memo keeps for
	// the next one (Schedule has finished with it by then).
	if len(memo.out) != len(nodes) {
		memo.out = make([]string, len(nodes))
	}
	clear(memo.out)
	cw.rejects = memo.out
	defer func() {
		for i := range nodes {
			if nodes[i].free {
				memo.gens[i], memo.rejects[i] = memoGen(cw.sel, &nodes[i]), cw.rejects[i]
			} else {
				memo.gens[i] = 0
			}
		}
	}()
	todo := make([]bool, len(nodes))
	anyTodo := false
	for i := range nodes {
		if !nodes[i].free {
			continue
		}
		if g := memoGen(cw.sel, &nodes[i]); memo.gens[i] == g {
			cw.rejects[i] = memo.rejects[i]
		} else {
			todo[i], anyTodo = true, true
		}
	}
	if !anyTodo {
		return
	}
	// Then cached verdicts, the nodes split between GOMAXPROCS workers.
	missing := make([]bool, len(nodes))
	found := make([]scripts.Verdict, len(nodes))
	foundBy := make([]int, len(nodes)) // index+1 of the script that said no
	parallel(len(nodes), 1024, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			n := &nodes[i]
			if !todo[i] {
				continue // unavailable (the scheduler counts it with its own reason), or known from the memo
			}
			for j := range cw.sel.static {
				b := &cw.sel.static[j]
				v, ok := s.sel.cache.Get(b.sel.Key(), n.name, n.gen(b))
				if !ok {
					missing[i] = true
					break
				}
				if !v.Selected {
					found[i], foundBy[i] = v, j+1
					break
				}
			}
		}
	})
	var misses []int
	for i := range nodes {
		switch {
		case !todo[i]:
		case missing[i]:
			misses = append(misses, i)
		case foundBy[i] > 0:
			cw.rejects[i] = text(&cw.sel.static[foundBy[i]-1], found[i])
		}
	}
	if len(misses) == 0 {
		return
	}
	// The facts of the nodes to evaluate on, copied now.
	full := make([]selNode, len(misses))
	s.mu.Lock()
	now := s.now()
	for k, i := range misses {
		if n := s.reg.Get(nodes[i].name); n != nil {
			full[k] = s.selNodeOf(n, now)
		} else {
			full[k].selRef = nodes[i]
		}
	}
	s.mu.Unlock()
	verdicts := make([]string, len(misses))
	parallel(len(misses), 64, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			n := &full[k]
			for j := range cw.sel.static {
				b := &cw.sel.static[j]
				if v, _ := s.sel.staticVerdict(ctx, b, n); !v.Selected {
					verdicts[k] = rejectText(b.label, v)
					break
				}
			}
		}
	})
	for k, i := range misses {
		cw.rejects[i] = verdicts[k]
	}
}

// parallel runs f over [0, n) in up to GOMAXPROCS chunks of at least
// minChunk items, and waits.
func parallel(n, minChunk int, f func(lo, hi int)) {
	workers := max(1, min(runtime.GOMAXPROCS(0), n/minChunk))
	if workers == 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		if lo < hi {
			wg.Go(func() { f(lo, hi) })
		}
	}
	wg.Wait()
}

// dropOldMemos forgets the memos of classes not seen for a while.
func (sl *selector) dropOldMemos() {
	for k, m := range sl.memos {
		if sl.cycle-m.used > 64 {
			delete(sl.memos, k)
		}
	}
}
