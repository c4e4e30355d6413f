package node

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/scripts"
)

// Dynamic selection: the server asks the node, with Command.Select, to
// evaluate dynamic selection scripts on itself. Each script sees the
// node's own facts as `node` (source and idle_seconds are not known on
// the node: "" and 0), the request's vars and args, and the `host` probes
// (scripts.HostProbes: the work directory, the tasks' environment, and
// host.run only with Config.AllowProbeCommands).
//
// The scripts of one request run in order and stop at the first that
// does not select the node. A request runs on a goroutine of its own, so
// that a slow script holds up no other command, and is cancelled when the
// agent's connection closes for good.

// Limits of dynamic selection.
const (
	// DefaultSelectTimeout is a dynamic script's time budget when the
	// request gives none.
	DefaultSelectTimeout = 5 * time.Second
	// MaxSelectTimeout caps a dynamic script's time budget.
	MaxSelectTimeout = time.Minute
	// selectInstructions is a dynamic script's instruction budget: more
	// than a static one's, as its time budget is longer.
	selectInstructions = 50_000_000
	// maxSelectScripts bounds the scripts of one request.
	maxSelectScripts = 64
	// maxConcurrentSelects bounds the requests evaluated at once in the
	// process; more are answered "unavailable".
	maxConcurrentSelects = 16
	// compiledScripts is the size of the compiled-script cache.
	compiledScripts = 128
	// selectFactsTTL is how long the facts a dynamic script sees are
	// reused (free memory, load and disk are read afresh every time).
	selectFactsTTL = 30 * time.Second
	// maxFactsEntries bounds the facts cache (one entry per agent).
	maxFactsEntries = 256
)

// notEvaluated is the reason given for the scripts after one that did
// not select the node.
const notEvaluated = "not evaluated: an earlier script said no"

// selector evaluates dynamic selection scripts. One is shared by every
// agent of the process (sharedSelector): scripts are immutable and the
// engine safe for concurrent use, so agents lose nothing by sharing the
// Lua states and the compiled scripts.
type selector struct {
	engine   *scripts.Engine
	compiled *scriptLRU
	slots    chan struct{} // one token per request in progress

	mu    sync.Mutex
	facts map[string]cachedFacts // by agent instance
}

// cachedFacts are an agent's facts as read at a time.
type cachedFacts struct {
	facts api.NodeFacts
	at    time.Time
}

var sharedSelector = sync.OnceValues(func() (*selector, error) {
	e, err := scripts.NewEngine(scripts.Options{Timeout: MaxSelectTimeout, MaxInstructions: selectInstructions})
	if err != nil {
		return nil, err
	}
	return &selector{
		engine:   e,
		compiled: newScriptLRU(compiledScripts),
		slots:    make(chan struct{}, maxConcurrentSelects),
		facts:    make(map[string]cachedFacts),
	}, nil
})

// selectAsync answers a Select command from a goroutine of its own, or at
// once if too many are in progress.
func (a *Agent) selectAsync(m *nats.Msg, req api.SelectRequest) {
	sel, err := sharedSelector()
	if err != nil {
		a.respondCommand(m, api.CommandReply{Error: api.Errorf(api.CodeInternal, "dynamic selection: %v", err)})
		return
	}
	select {
	case sel.slots <- struct{}{}:
	default:
		a.respondCommand(m, api.CommandReply{Error: api.Errorf(api.CodeUnavailable,
			"node busy: %d dynamic selection requests in progress", maxConcurrentSelects)})
		return
	}
	go func() {
		defer func() { <-sel.slots }()
		a.respondCommand(m, a.selectScripts(sel, req))
	}()
}

// selectNow answers a Select command on the caller's goroutine.
func (a *Agent) selectNow(req api.SelectRequest) api.CommandReply {
	sel, err := sharedSelector()
	if err != nil {
		return api.CommandReply{Error: api.Errorf(api.CodeInternal, "dynamic selection: %v", err)}
	}
	return a.selectScripts(sel, req)
}

// selectScripts evaluates the request's scripts in order, until one does
// not select the node. It never panics: a bug is an internal error.
func (a *Agent) selectScripts(sel *selector, req api.SelectRequest) (reply api.CommandReply) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("dynamic selection failed", "panic", r)
			reply = api.CommandReply{Error: api.Errorf(api.CodeInternal, "dynamic selection failed: %v", r)}
		}
	}()
	if n := len(req.Scripts); n > maxSelectScripts {
		return api.CommandReply{Error: api.Invalid([]api.FieldError{{Field: "select.scripts",
			Message: fmt.Sprintf("%d scripts, at most %d allowed", n, maxSelectScripts)}})}
	}
	ctx, cancel := a.untilClosed()
	defer cancel()
	view := sel.nodeView(a)
	probes := scripts.HostProbes{WorkDir: a.cfg.WorkDir, AllowCommands: a.cfg.AllowProbeCommands, Environ: a.baseEnv}
	verdicts := make([]api.ScriptVerdict, len(req.Scripts))
	refused := false
	for i, ds := range req.Scripts {
		label := ds.Label
		if label == "" {
			label = "selection[" + strconv.Itoa(i) + "]"
		}
		if refused {
			verdicts[i] = api.ScriptVerdict{Script: label, Type: api.SelectionDynamic, Reason: notEvaluated}
			continue
		}
		verdicts[i] = sel.evaluate(ctx, label, ds, view, probes)
		refused = !verdicts[i].Selected
		a.log.Debug("dynamic selection script", "script", label, "selected", verdicts[i].Selected, "reason", verdicts[i].Reason)
	}
	return api.CommandReply{Verdicts: verdicts}
}

// evaluate compiles (or finds) one script and evaluates it.
func (sel *selector) evaluate(ctx context.Context, label string, ds api.DynamicScript, view scripts.NodeView, probes scripts.Probes) api.ScriptVerdict {
	s, err := sel.compiled.compile(label, ds.Source)
	if err != nil {
		return api.ScriptVerdict{Script: label, Type: api.SelectionDynamic, Reason: err.Error()}
	}
	d := scripts.Dynamic{Probes: probes, Timeout: selectTimeout(time.Duration(ds.Timeout))}
	return scriptVerdict(label, sel.engine.EvaluateDynamic(ctx, s, view, ds.Vars, ds.Args, d))
}

// selectTimeout is a script's time budget: the request's, default 5s,
// at most a minute.
func selectTimeout(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultSelectTimeout
	}
	return min(d, MaxSelectTimeout)
}

// scriptVerdict is the engine's verdict as the API gives it: "returned
// false", or the detail of what went wrong (the error with its line, the
// budget exceeded).
func scriptVerdict(label string, v scripts.Verdict) api.ScriptVerdict {
	sv := api.ScriptVerdict{Script: label, Type: api.SelectionDynamic, Selected: v.Selected}
	switch {
	case v.Selected:
	case v.Reason == scripts.ReasonFalse:
		sv.Reason = "returned false"
	case v.Err != "":
		sv.Reason = v.Err
	default:
		sv.Reason = v.Reason
	}
	return sv
}

// nodeView is the `node` table of a's dynamic scripts: its facts as it
// reports them at registration (re-read every selectFactsTTL), with the
// free memory, load and free disk of now.
func (sel *selector) nodeView(a *Agent) scripts.NodeView {
	now := time.Now()
	sel.mu.Lock()
	c, ok := sel.facts[a.instance]
	sel.mu.Unlock()
	if !ok || now.Sub(c.at) > selectFactsTTL {
		c = cachedFacts{facts: collectFacts(a.cfg), at: now}
		sel.mu.Lock()
		if len(sel.facts) >= maxFactsEntries {
			clear(sel.facts)
		}
		sel.facts[a.instance] = c
		sel.mu.Unlock()
	}
	f := c.facts
	_, f.MemoryFree = readMeminfo(procMeminfo)
	f.Load1 = readLoad1(procLoadavg)
	f.DiskFree = diskFree(a.cfg.WorkDir)
	return scripts.NodeViewFromFacts(a.cfg.Name, f)
}

// untilClosed is a context that ends when the agent's connection closes
// for good (the agent stops), or when cancelled.
func (a *Agent) untilClosed() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-a.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
