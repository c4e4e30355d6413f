package scheduler

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// earliestStart is when a task of shape need could start at the soonest,
// written plainly: on each node, the snapshot's free room minus the
// placements ps, plus what ends (running attempts and ps with a walltime)
// in order of end. ok is false when it never fits.
func earliestStart(s Snapshot, ps []Placement, need shape) (time.Time, bool) {
	byID := map[int64]QueuedTask{}
	for _, t := range s.Queue {
		byID[t.TaskID] = t
	}
	var best time.Time
	ok := false
	for _, n := range s.Nodes {
		if n.Unavailable != "" {
			continue
		}
		type ev struct {
			at       time.Time
			cpu, mem int64
		}
		var evs []ev
		free := n
		for _, p := range ps {
			if p.Node != n.Name {
				continue
			}
			t := byID[p.TaskID]
			free.MilliCPU -= t.MilliCPU
			free.Memory -= t.Memory
			free.Slots--
			if t.Walltime > 0 {
				evs = append(evs, ev{s.Now.Add(t.Walltime), t.MilliCPU, t.Memory})
			}
		}
		for _, r := range s.Running {
			if r.Nodes[0] == n.Name && !r.End.IsZero() {
				evs = append(evs, ev{r.End, r.MilliCPU, r.Memory})
			}
		}
		slices.SortFunc(evs, func(a, b ev) int { return a.at.Compare(b.at) })
		at, fitsAt := s.Now, free.Slots > 0 && free.MilliCPU >= need.cpu && free.Memory >= need.mem
		for _, e := range evs {
			if fitsAt {
				break
			}
			free.MilliCPU += e.cpu
			free.Memory += e.mem
			free.Slots++
			at, fitsAt = e.at, free.Slots > 0 && free.MilliCPU >= need.cpu && free.Memory >= need.mem
		}
		if fitsAt && (!ok || at.Before(best)) {
			best, ok = at, true
		}
	}
	return best, ok
}

// TestBackfillNeverDelaysTheReservation: in one backfill queue, the first
// blocked task could start as early with every placement of the cycle as
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
				before = append(before, Placement{TaskID: task.TaskID, Node: nodeOf(plan, task.TaskID)})
				continue
			}
			if !sc.c.couldHold(&task) {
				continue
			}
			need := shape{task.MilliCPU, task.Memory}
			at0, ok := earliestStart(s, before, need)
			if !ok {
				break // no reservation: nothing to delay
			}
			at1, _ := earliestStart(s, plan.Placements, need)
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

func nodeOf(p Plan, id int64) string {
	for _, pl := range p.Placements {
		if pl.TaskID == id {
			return pl.Node
		}
	}
	return ""
}
