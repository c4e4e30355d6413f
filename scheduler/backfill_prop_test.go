package scheduler

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// earliestStart is when a task of n slots of shape need could start at
// the soonest, written plainly: the first of now and the ends of work at
// which the nodes, with the snapshot's free room minus the placements ps
// plus what has ended by then (running attempts and ps with a walltime),
// have n slots of need in all. ok is false when that never comes.
func earliestStart(s Snapshot, ps []Placement, need shape, n int) (time.Time, bool) {
	byID := map[int64]QueuedTask{}
	for _, t := range s.Queue {
		byID[t.TaskID] = t
	}
	type ev struct {
		node     string
		at       time.Time
		cpu, mem int64
	}
	var evs []ev
	free := map[string]Node{}
	for _, nd := range s.Nodes {
		if nd.Unavailable == "" {
			free[nd.Name] = nd
		}
	}
	for _, p := range ps {
		t := byID[p.TaskID]
		for _, name := range append([]string{p.Node}, p.Others...) {
			f := free[name]
			f.MilliCPU -= t.MilliCPU
			f.Memory -= t.Memory
			f.Slots--
			free[name] = f
			if t.Walltime > 0 {
				evs = append(evs, ev{name, s.Now.Add(t.Walltime), t.MilliCPU, t.Memory})
			}
		}
	}
	for _, r := range s.Running {
		if !r.End.IsZero() {
			evs = append(evs, ev{r.Nodes[0], r.End, r.MilliCPU, r.Memory})
		}
	}
	times := []time.Time{s.Now}
	for _, e := range evs {
		times = append(times, e.at)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	for _, at := range times {
		got := 0
		for name, f := range free {
			for _, e := range evs {
				if e.node == name && !e.at.After(at) {
					f.MilliCPU += e.cpu
					f.Memory += e.mem
					f.Slots++
				}
			}
			for f.Slots > 0 && f.MilliCPU >= need.cpu && f.Memory >= need.mem {
				got++
				f.Slots--
				f.MilliCPU -= need.cpu
				f.Memory -= need.mem
			}
		}
		if got >= n {
			return at, true
		}
	}
	return time.Time{}, false
}

// TestBackfillNeverDelaysTheReservation: in one backfill queue, the first
// blocked task (one node or several) could start as early with every placement of the cycle as
// with only those made before it was considered: the tasks that passed it
// did not delay it.
func TestBackfillNeverDelaysTheReservation(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	checked := 0
	for i := range 5000 {
		s := Snapshot{Now: t0, Queues: []Queue{{Name: "default", Backfill: true}}}
		for k := range 1 + r.IntN(4) {
			n := node(fmt.Sprintf("n%d", k), float64(r.IntN(5)), fmt.Sprintf("%dGiB", r.IntN(9)), r.IntN(4))
			s.Nodes = append(s.Nodes, n)
			for j := range r.IntN(4) {
				run := Running{TaskID: int64(900 + 10*k + j), MilliCPU: int64(1+r.IntN(4)) * 500, Memory: int64(r.IntN(4)) << 30,
					Nodes: []string{n.Name}, Start: t0.Add(-time.Hour), Priority: api.PriorityNormal}
				if r.IntN(4) != 0 {
					run.End = t0.Add(time.Duration(1+r.IntN(180)) * time.Minute)
				}
				s.Running = append(s.Running, run)
			}
		}
		for j := range 2 + r.IntN(12) {
			task := QueuedTask{TaskID: int64(j + 1), JobID: int64(j), Name: "t", Priority: api.PriorityNormal,
				MilliCPU: int64(r.IntN(8)) * 500, Memory: int64(r.IntN(6)) << 30}
			if r.IntN(3) != 0 {
				task.Walltime = time.Duration(1+r.IntN(180)) * time.Minute
			}
			if r.IntN(6) == 0 {
				task.Nodes = 2 + r.IntN(2)
			}
			s.Queue = append(s.Queue, task)
		}
		plan := Schedule(s)
		sc := &scheduling{c: newCycle(s.Nodes)}
		sc.c.running = s.Running
		// The head: the first task left waiting that some node could hold.
		placedIDs := map[int64]bool{}
		for _, p := range plan.Placements {
			placedIDs[p.TaskID] = true
		}
		var before []Placement
		for _, task := range s.Queue {
			if placedIDs[task.TaskID] {
				before = append(before, placementOf(plan, task.TaskID))
				continue
			}
			if !sc.c.couldHold(&task) {
				continue
			}
			need := shape{task.MilliCPU, task.Memory}
			at0, ok := earliestStart(s, before, need, max(1, task.Nodes))
			if !ok {
				break // no reservation: nothing to delay
			}
			at1, _ := earliestStart(s, plan.Placements, need, max(1, task.Nodes))
			if at1.After(at0) {
				t.Fatalf("case %d: task %d could start at %v, the tasks behind it delayed it to %v\nplan %+v\nsnapshot %+v",
					i, task.TaskID, at0.Sub(t0), at1.Sub(t0), plan, s)
			}
			checked++
			break
		}
	}
	if checked < 500 {
		t.Fatalf("only %d cases had a reservation to check", checked)
	}
}

func placementOf(p Plan, id int64) Placement {
	for _, pl := range p.Placements {
		if pl.TaskID == id {
			return pl
		}
	}
	return Placement{}
}
