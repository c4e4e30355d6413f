package resttest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/rest"
)

// DefaultEventLimit is the page size RMEvents uses when given none.
const DefaultEventLimit = 100

// rmSteps is the sample step RMHistory reports for each range.
var rmSteps = map[string]time.Duration{"1h": time.Minute, "1d": 15 * time.Minute, "1w": 2 * time.Hour}

// MaxLockReason is the longest lock reason LockNode accepts.
const MaxLockReason = 500

// SetNodes sets the nodes the backend knows, in the order ListNodes
// returns them. Compared with the nodes before, a new name records a
// "registered" event, a changed state a "state" event and a missing name
// a "removed" event.
func (f *FakeBackend) SetNodes(nodes ...api.Node) {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.nodes
	f.nodes = slices.Clone(nodes)
	f.factsGen++
	for _, n := range f.nodes {
		i := indexOfNode(old, n.Name)
		switch {
		case i < 0:
			f.recordLocked(n, "registered", "", "")
		case old[i].State != n.State:
			f.recordLocked(n, "state", "", fmt.Sprintf("%s -> %s", old[i].State, n.State))
		}
	}
	for _, n := range old {
		if indexOfNode(f.nodes, n.Name) < 0 {
			f.recordLocked(n, "removed", "", "")
		}
	}
}

// SetRMSamples sets the samples RMHistory answers, whatever the range.
func (f *FakeBackend) SetRMSamples(samples ...api.RMSample) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.samples = slices.Clone(samples)
}

// ListNodes implements rest.Backend.
func (f *FakeBackend) ListNodes(_ context.Context, _ rest.Principal) ([]api.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	return slices.Clone(f.nodes), nil
}

// GetNode implements rest.Backend. Facts are taken from the node's own
// fields and SetNodeFacts; the history is every event of the node so far.
func (f *FakeBackend) GetNode(_ context.Context, _ rest.Principal, name string) (api.NodeDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.nodeLocked(name)
	if err != nil {
		return api.NodeDetail{}, err
	}
	n := f.nodes[i]
	d := api.NodeDetail{Node: n, Facts: f.factsLocked(n)}
	for _, ev := range f.events {
		if ev.Node == name {
			d.History = append(d.History, ev)
		}
	}
	return d, nil
}

// LockNode implements rest.Backend (admins only). Locking a locked node
// replaces its lock; a reason longer than MaxLockReason is invalid.
func (f *FakeBackend) LockNode(_ context.Context, p rest.Principal, name, reason string) (api.Node, error) {
	if len(reason) > MaxLockReason && p.IsAdmin() { // non-admins are refused first, below
		return api.Node{}, api.Invalid([]api.FieldError{{Field: "reason",
			Message: fmt.Sprintf("at most %d characters", MaxLockReason)}})
	}
	return f.changeNode(p, name, "lock", func(n *api.Node) (string, string) {
		n.Locked = &api.NodeLock{By: p.Name, At: f.now, Reason: reason}
		return "locked", reason
	})
}

// UnlockNode implements rest.Backend (admins only); unlocking an unlocked
// node changes nothing.
func (f *FakeBackend) UnlockNode(_ context.Context, p rest.Principal, name string) (api.Node, error) {
	return f.changeNode(p, name, "unlock", func(n *api.Node) (string, string) {
		if n.Locked == nil {
			return "", ""
		}
		n.Locked = nil
		return "unlocked", ""
	})
}

// DrainNode implements rest.Backend (admins only); setting the flag it
// already has changes nothing.
func (f *FakeBackend) DrainNode(_ context.Context, p rest.Principal, name string, on bool) (api.Node, error) {
	return f.changeNode(p, name, "drain", func(n *api.Node) (string, string) {
		if n.Draining == on {
			return "", ""
		}
		n.Draining = on
		if on {
			return "draining", fmt.Sprintf("%d running attempt(s) left", len(n.RunningTasks))
		}
		return "undrained", ""
	})
}

// changeNode applies change to a node as an admin and records the event
// and info it returns (event "" for none: nothing changed).
func (f *FakeBackend) changeNode(p rest.Principal, name, verb string, change func(*api.Node) (event, info string)) (api.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.adminNodeLocked(p, name, verb)
	if err != nil {
		return api.Node{}, err
	}
	n := &f.nodes[i]
	if event, info := change(n); event != "" {
		f.recordLocked(*n, event, p.Name, info)
	}
	return *n, nil
}

// RemoveNode implements rest.Backend (admins only). A node that runs
// tasks is a conflict unless force.
func (f *FakeBackend) RemoveNode(_ context.Context, p rest.Principal, name string, force bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, err := f.adminNodeLocked(p, name, "remove")
	if err != nil {
		return err
	}
	n := f.nodes[i]
	running := len(n.RunningTasks)
	if running > 0 && !force {
		return api.Errorf(api.CodeConflict, "node %s runs %d attempt(s): drain it and remove it once it is empty, or force the removal", name, running)
	}
	f.nodes = slices.Delete(f.nodes, i, i+1)
	info := ""
	if running > 0 {
		info = fmt.Sprintf("forced: %d task(s) handed back", running)
	}
	f.recordLocked(n, "removed", p.Name, info)
	return nil
}

// RMStats implements rest.Backend: counts over the nodes (those without a
// source count for "default"), and capacity sums over those that are not
// DOWN.
func (f *FakeBackend) RMStats(_ context.Context, _ rest.Principal) (api.RMStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return api.RMStats{}, f.fail
	}
	st := api.RMStats{
		Nodes:    len(f.nodes),
		ByState:  map[api.NodeState]int{api.NodeFree: 0, api.NodeBusy: 0, api.NodeDown: 0},
		BySource: map[string]int{},
	}
	for _, n := range f.nodes {
		st.ByState[n.State]++
		st.BySource[cmp.Or(n.Source, "default")]++
		if n.Locked != nil {
			st.Locked++
		}
		if n.Draining {
			st.Draining++
		}
		if n.State == api.NodeDown {
			continue
		}
		st.Slots += n.Slots
		st.UsedSlots += len(n.RunningTasks)
		st.CPUs += n.CPUs
		st.UsedCPU += n.UsedCPU
		st.Memory += n.Memory
		st.UsedMem += n.UsedMemory
	}
	return st, nil
}

// RMEvents implements rest.Backend: events with Seq > after, oldest
// first, at most limit (DefaultEventLimit if limit <= 0).
func (f *FakeBackend) RMEvents(_ context.Context, _ rest.Principal, after int64, limit int) (api.RMEventList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return api.RMEventList{}, f.fail
	}
	if limit <= 0 {
		limit = DefaultEventLimit
	}
	list := api.RMEventList{Events: []api.NodeEvent{}, Next: after}
	for _, ev := range f.events {
		if ev.Seq > after && len(list.Events) < limit {
			list.Events = append(list.Events, ev)
			list.Next = ev.Seq
		}
	}
	return list, nil
}

// RMHistory implements rest.Backend: the samples set with SetRMSamples.
func (f *FakeBackend) RMHistory(_ context.Context, _ rest.Principal, rng string) (api.RMHistory, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return api.RMHistory{}, f.fail
	}
	step, ok := rmSteps[rng]
	if !ok {
		return api.RMHistory{}, api.Invalid([]api.FieldError{{Field: "range", Message: "must be 1h, 1d or 1w"}})
	}
	return api.RMHistory{Range: rng, Step: api.Duration(step), Samples: slices.Clone(f.samples)}, nil
}

// adminNodeLocked finds a node for an admin's change.
func (f *FakeBackend) adminNodeLocked(p rest.Principal, name, verb string) (int, error) {
	if f.fail != nil {
		return 0, f.fail
	}
	if !p.IsAdmin() {
		return 0, api.Errorf(api.CodeForbidden, "only admins may %s nodes", verb)
	}
	return f.nodeLocked(name)
}

// nodeLocked finds a node by name.
func (f *FakeBackend) nodeLocked(name string) (int, error) {
	if f.fail != nil {
		return 0, f.fail
	}
	i := indexOfNode(f.nodes, name)
	if i < 0 {
		return 0, api.Errorf(api.CodeNotFound, "node %s not found", name)
	}
	return i, nil
}

// recordLocked appends an event about n as it is now.
func (f *FakeBackend) recordLocked(n api.Node, event, by, info string) {
	f.events = append(f.events, api.NodeEvent{
		Seq: int64(len(f.events)) + 1, Time: f.now, Node: n.Name, State: n.State,
		Locked: n.Locked != nil, Draining: n.Draining, Event: event, By: by, Info: info,
	})
}

func indexOfNode(nodes []api.Node, name string) int {
	return slices.IndexFunc(nodes, func(n api.Node) bool { return n.Name == name })
}
