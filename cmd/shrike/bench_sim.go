package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/shrike-grid/shrike/scheduler/sim"
)

// runBenchSim is `shrike bench sim`: runs a workload on a simulated
// cluster with the real scheduler on virtual time, prints the event log
// and how long the scheduling cycles took.
func runBenchSim(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench sim", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: shrike bench sim --cluster FILE --workload FILE [flags]

Runs the real scheduler on virtual time: the cluster file lists the nodes
and queues, the workload file the jobs with their submission times and how
long each task runs. Prints one line per event (submitted, waiting with
the reason, started, finished, failed, preempted), then the number of
scheduling cycles and the real time they took (window, snapshot, the
scheduler's decision and its application). Nothing is started; no server
is needed. File formats: docs/scheduling.md.

Example:
  shrike bench sim --cluster scheduler/sim/testdata/backfill/backfill/cluster.yaml \
    --workload scheduler/sim/testdata/backfill/workload.yaml

Flags:
`)
		fs.PrintDefaults()
	}
	var cluster, workload string
	var cyclesOnly, jsonOut bool
	var maxTime time.Duration
	fs.StringVar(&cluster, "cluster", "", "cluster file (YAML: nodes, queues, fair_share_half_life)")
	fs.StringVar(&workload, "workload", "", "workload file (YAML: jobs)")
	fs.BoolVar(&cyclesOnly, "cycles-only", false, "print only the summary and cycle timings, not the events")
	fs.BoolVar(&jsonOut, "json", false, "print only the summary, as JSON (no events)")
	fs.DurationVar(&maxTime, "max-time", 0, "stop at this virtual time (0: when nothing is left to happen)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if cluster == "" || workload == "" || fs.NArg() > 0 {
		return usageErr(errors.New("bench sim: --cluster and --workload are required, and nothing else"))
	}
	c, err := sim.LoadCluster(cluster)
	if err != nil {
		return usageErr(err)
	}
	w, err := sim.LoadWorkload(workload)
	if err != nil {
		return usageErr(err)
	}
	e, err := sim.New(c, w)
	if err != nil {
		return usageErr(fmt.Errorf("%s: %w", workload, err))
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	if !cyclesOnly && !jsonOut {
		e.Log = out
	}
	e.MaxTime = maxTime
	began := time.Now()
	e.Run()
	if jsonOut {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(simSummary(e.Stats(), time.Since(began))); err != nil {
			return err
		}
		return out.Flush()
	}
	printSimStats(out, e.Stats(), time.Since(began))
	return out.Flush()
}

// simSummaryJSON is what `shrike bench sim --json` prints; times in
// milliseconds of real time, but virtual_seconds.
type simSummaryJSON struct {
	Nodes          int     `json:"nodes"`
	Jobs           int     `json:"jobs"`
	Tasks          int     `json:"tasks"`
	VirtualSeconds float64 `json:"virtual_seconds"`
	WallMS         float64 `json:"wall_ms"`
	Cycles         int     `json:"cycles"`
	CycleMeanMS    float64 `json:"cycle_mean_ms"`
	CycleP50MS     float64 `json:"cycle_p50_ms"`
	CycleP99MS     float64 `json:"cycle_p99_ms"`
	CycleMaxMS     float64 `json:"cycle_max_ms"`
	ScheduleMeanMS float64 `json:"schedule_mean_ms"`
	Window         int     `json:"largest_window"`
	Placements     int     `json:"placements"`
	Preemptions    int     `json:"preemptions"`
	Refused        int     `json:"refused"`
	Finished       int     `json:"finished"`
	Failed         int     `json:"failed"`
	Skipped        int     `json:"skipped"`
}

func simSummary(s sim.Stats, wall time.Duration) simSummaryJSON {
	msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	out := simSummaryJSON{Nodes: s.Nodes, Jobs: s.Jobs, Tasks: s.Tasks, VirtualSeconds: s.End.Seconds(), WallMS: msOf(wall),
		Cycles: s.Cycles, CycleP50MS: msOf(s.CycleP50), CycleP99MS: msOf(s.CycleP99), CycleMaxMS: msOf(s.CycleMax),
		Window: s.Window, Placements: s.Placements, Preemptions: s.Preemptions, Refused: s.Refused,
		Finished: s.Finished, Failed: s.Failed, Skipped: s.Skipped}
	if s.Cycles > 0 {
		out.CycleMeanMS = msOf(s.CycleTotal) / float64(s.Cycles)
		out.ScheduleMeanMS = msOf(s.ScheduleTotal) / float64(s.Cycles)
	}
	return out
}

// printSimStats writes the summary of a simulation.
func printSimStats(w io.Writer, s sim.Stats, wall time.Duration) {
	mean := func(total time.Duration) string {
		if s.Cycles == 0 {
			return "-"
		}
		return simMS(total / time.Duration(s.Cycles))
	}
	fmt.Fprintf(w, "shrike bench sim: %s, %s, %s; virtual time %s, simulated in %s\n",
		simCount(s.Nodes, "node"), simCount(s.Jobs, "job"), simCount(s.Tasks, "task"), sim.Clock(s.End), simMS(wall))
	fmt.Fprintf(w, "  cycles: %d; real time per cycle %s mean, p50 %s, p99 %s, max %s (in scheduler.Schedule: %s mean); largest window %d tasks\n",
		s.Cycles, mean(s.CycleTotal), simMS(s.CycleP50), simMS(s.CycleP99), simMS(s.CycleMax), mean(s.ScheduleTotal), s.Window)
	fmt.Fprintf(w, "  placements %d, preemptions %d, refused %d; tasks finished %d, failed %d, skipped %d\n",
		s.Placements, s.Preemptions, s.Refused, s.Finished, s.Failed, s.Skipped)
}

// simMS formats a duration in milliseconds with three decimals.
func simMS(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}

// simCount writes "1 node", "3 nodes".
func simCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
