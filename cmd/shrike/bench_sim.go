package main

import (
	"bufio"
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
  shrike bench sim --cluster scheduler/sim/testdata/backfill/cluster.yaml \
    --workload scheduler/sim/testdata/backfill/workload.yaml

Flags:
`)
		fs.PrintDefaults()
	}
	var cluster, workload string
	var cyclesOnly bool
	var maxTime time.Duration
	fs.StringVar(&cluster, "cluster", "", "cluster file (YAML: nodes, queues, fair_share_half_life)")
	fs.StringVar(&workload, "workload", "", "workload file (YAML: jobs)")
	fs.BoolVar(&cyclesOnly, "cycles-only", false, "print only the summary and cycle timings, not the events")
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
	if !cyclesOnly {
		e.Log = out
	}
	e.MaxTime = maxTime
	began := time.Now()
	e.Run()
	printSimStats(out, e.Stats(), time.Since(began))
	return out.Flush()
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
		simCount(s.Nodes, "node"), simCount(s.Jobs, "job"), simCount(s.Tasks, "task"), s.End, simMS(wall))
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
