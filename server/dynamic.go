package server

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// dynamicValidity is how long a node's "yes" to a task's dynamic scripts
// stands: it is used by one placement at most, and asked again after.
const dynamicValidity = 30 * time.Second

// Probing limits: nodes asked at once in all, and per class and cycle.
const (
	maxProbes         = 32
	maxProbesPerClass = 16
)

// dynamicVerdicts remembers what nodes answered to dynamic selection
// scripts, keyed by (the task's dynamic scripts, node): a "yes" for one
// placement within dynamicValidity, a "no" or a failure for the back-off.
type dynamicVerdicts struct {
	backoff time.Duration

	mu      sync.Mutex
	results map[string]dynResult
	probing map[string]bool
	running int
}

type dynResult struct {
	selected bool
	reason   string
	verdicts []api.ScriptVerdict
	until    time.Time
}

func newDynamicVerdicts(backoff time.Duration) *dynamicVerdicts {
	return &dynamicVerdicts{backoff: backoff, results: map[string]dynResult{}, probing: map[string]bool{}}
}

func dynKey(classKey, node string) string { return classKey + "\x00" + node }

// get returns the standing answer of node to a class's dynamic scripts.
func (d *dynamicVerdicts) get(key string, now time.Time) (dynResult, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.results[key]
	if ok && !now.Before(r.until) {
		delete(d.results, key)
		return dynResult{}, false
	}
	return r, ok
}

// consume uses up a node's "yes" (a task was placed on it).
func (d *dynamicVerdicts) consume(key string) {
	d.mu.Lock()
	if r, ok := d.results[key]; ok && r.selected {
		delete(d.results, key)
	}
	d.mu.Unlock()
}

// startProbe reserves a probe of key; false when one runs already or too
// many do.
func (d *dynamicVerdicts) startProbe(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.probing[key] || d.running >= maxProbes {
		return false
	}
	d.probing[key] = true
	d.running++
	return true
}

func (d *dynamicVerdicts) finishProbe(key string, r dynResult) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.probing, key)
	d.running--
	d.results[key] = r
}

// evaluateDynamic fills cw's rejects for its dynamic scripts on the nodes
// its static scripts selected: a standing "yes" leaves the node eligible,
// a standing "no" rejects it with the script's reason, and a node never
// asked (or whose answer expired) is rejected as pending and asked now if
// it has room for the class's smallest task.
func (s *Server) evaluateDynamic(cw *classWork, nodes []selRef, now time.Time) {
	if cw.sel.err != "" {
		return
	}
	pending := cw.sel.dynamic[0].Label + ": waiting for the node's answer (dynamic script)"
	launched := 0
	for i := range nodes {
		n := &nodes[i]
		if !n.free || cw.rejects[i] != "" {
			continue
		}
		key := dynKey(cw.sel.dynKey, n.name)
		if r, ok := s.sel.dyn.get(key, now); ok {
			if !r.selected {
				cw.rejects[i] = r.reason
			}
			continue
		}
		cw.rejects[i] = pending
		fits := n.slots > 0 && n.milliCPU >= cw.need[0] && n.memory >= cw.need[1]
		if !fits || launched >= min(maxProbesPerClass, 2*cw.tasks) || !s.sel.dyn.startProbe(key) {
			continue
		}
		launched++
		go s.probe(key, n.name, cw.sel.dynamic)
	}
}

// probe asks node to evaluate a class's dynamic scripts and records the
// answer; a refusal or failure backs the node off for those scripts.
func (s *Server) probe(key, node string, list []api.DynamicScript) {
	timeout := s.cfg.RequestTimeout
	req := make([]api.DynamicScript, len(list))
	for i, d := range list {
		d.Timeout = api.Duration(s.cfg.SelectionTimeout)
		req[i] = d
		timeout += s.cfg.SelectionTimeout
	}
	var reply api.CommandReply
	err := s.requestWithin(api.SubjectCommand(node), api.Command{Select: &api.SelectRequest{Scripts: req}}, &reply, timeout)
	now := s.now()
	r := dynResult{selected: true, until: now.Add(dynamicValidity), verdicts: reply.Verdicts}
	switch {
	case err != nil:
		r = dynResult{reason: list[0].Label + ": the node did not answer (" + err.Error() + ")"}
	case reply.Error != nil:
		r = dynResult{reason: list[0].Label + ": " + reply.Error.Message}
	case len(reply.Verdicts) != len(list):
		r = dynResult{reason: fmt.Sprintf("%s: the node answered %d verdicts for %d scripts", list[0].Label, len(reply.Verdicts), len(list))}
	default:
		for _, v := range reply.Verdicts {
			if !v.Selected {
				r = dynResult{reason: dynamicRejectText(v), verdicts: reply.Verdicts}
				break
			}
		}
	}
	if !r.selected {
		r.until = now.Add(s.cfg.SelectionBackoff)
		s.log.Debug("dynamic selection said no", "node", node, "reason", r.reason, "until", r.until)
	}
	s.sel.dyn.finishProbe(key, r)
	s.kick()
}

func dynamicRejectText(v api.ScriptVerdict) string {
	if v.Reason == "" || strings.HasSuffix(v.Reason, "returned false") {
		return v.Script + " returned false"
	}
	return v.Script + ": " + strings.TrimPrefix(v.Reason, v.Script+":")
}
