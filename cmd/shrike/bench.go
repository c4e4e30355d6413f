package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/node"
)

// benchOptions are the knobs of `shrike bench`.
type benchOptions struct {
	tasks, nodes, slots, concurrency int
	sync, nodeDir                    string
	jsonOut, keep                    bool
}

// runBench is `shrike bench`: measures end-to-end throughput of trivial
// tasks on a local grid against the machine's bare spawn rate.
func runBench(args []string) error {
	if len(args) > 0 && args[0] == "sim" {
		return runBenchSim(args[1:], os.Stdout)
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: shrike bench [flags]

Starts a server (as a child process, so that its CPU time and peak RSS are
measured alone) and local node agents, then runs N trivial tasks (/bin/true)
twice: as one job of N tasks, and as N single-task jobs submitted over REST
by concurrent clients. Prints tasks/s end to end, submit→start latency
p50/p99, REST submissions/s, server CPU seconds and peak RSS, and the bare
spawn rate of /bin/true on this machine with the ratio between the two.

Example:
  shrike bench --tasks 10000 --nodes 2

'shrike bench sim --cluster FILE --workload FILE' runs the real scheduler
on virtual time instead (see 'shrike bench sim -h').

Flags:
`)
		fs.PrintDefaults()
	}
	var o benchOptions
	fs.IntVar(&o.tasks, "tasks", 10000, "number of trivial tasks")
	fs.IntVar(&o.nodes, "nodes", 2, "local node agents")
	fs.IntVar(&o.slots, "slots", 8, "slots (and CPUs offered) per node")
	fs.IntVar(&o.concurrency, "concurrency", 32, "concurrent REST clients submitting single-task jobs")
	fs.StringVar(&o.sync, "sqlite-synchronous", "FULL", "server's SQLite synchronous mode (FULL or NORMAL)")
	fs.StringVar(&o.nodeDir, "node-dir", "", "where node agents keep task dirs, logs and outboxes (default: under the bench's temp dir; try /dev/shm)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the results as JSON")
	fs.BoolVar(&o.keep, "keep", false, "keep the bench data dir")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if o.tasks < 1 || o.nodes < 1 || o.slots < 1 || o.concurrency < 1 {
		return usageErr(errors.New("--tasks, --nodes, --slots and --concurrency must be positive"))
	}
	if path := os.Getenv("SHRIKE_BENCH_CPUPROFILE"); path != "" {
		stopProfile, err := startCPUProfile(path)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	res, err := benchRun(o)
	if err != nil {
		return err
	}
	if o.jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	res.print()
	return nil
}

// benchResult is what `shrike bench` reports.
type benchResult struct {
	Tasks          int        `json:"tasks"`
	Nodes          int        `json:"nodes"`
	SlotsPerNode   int        `json:"slots_per_node"`
	Synchronous    string     `json:"sqlite_synchronous"`
	NodeDir        string     `json:"node_dir"`
	SpawnPerSec    float64    `json:"bare_spawn_per_sec"`
	OneJob         benchPhase `json:"one_job"`
	SingleJobs     benchPhase `json:"single_task_jobs"`
	SubmitPerSec   float64    `json:"rest_submissions_per_sec"`
	ServerCPUSecs  float64    `json:"server_cpu_seconds"`
	ServerPeakRSSB int64      `json:"server_peak_rss_bytes"`
}

type benchPhase struct {
	TasksPerSec  float64 `json:"tasks_per_sec"`
	Seconds      float64 `json:"seconds"`
	LatencyP50ms float64 `json:"submit_to_start_p50_ms"`
	LatencyP99ms float64 `json:"submit_to_start_p99_ms"`
	ServerCPU    float64 `json:"server_cpu_seconds"`
}

func (r benchResult) print() {
	fmt.Printf("shrike bench: %d trivial tasks (/bin/true), %d nodes × %d slots, SQLite synchronous=%s, node dirs in %s\n",
		r.Tasks, r.Nodes, r.SlotsPerNode, r.Synchronous, r.NodeDir)
	fmt.Printf("  bare spawn rate of /bin/true:         %8.0f /s (%d parallel)\n", r.SpawnPerSec, r.Nodes*r.SlotsPerNode)
	for _, p := range []struct {
		name string
		ph   benchPhase
	}{{"one job of N tasks", r.OneJob}, {"N single-task jobs", r.SingleJobs}} {
		fmt.Printf("  %-20s end to end:         %8.0f tasks/s (%.2fs, %.0f%% of bare spawn), submit→start p50 %.1f ms, p99 %.1f ms, server CPU %.2fs\n",
			p.name, p.ph.TasksPerSec, p.ph.Seconds, 100*p.ph.TasksPerSec/r.SpawnPerSec, p.ph.LatencyP50ms, p.ph.LatencyP99ms, p.ph.ServerCPU)
	}
	fmt.Printf("  REST submissions:                     %8.0f jobs/s\n", r.SubmitPerSec)
	fmt.Printf("  server: %.2f CPU seconds in all, peak RSS %s\n", r.ServerCPUSecs, api.HumanBytes(r.ServerPeakRSSB))
}

func benchRun(o benchOptions) (benchResult, error) {
	res := benchResult{Tasks: o.tasks, Nodes: o.nodes, SlotsPerNode: o.slots, Synchronous: o.sync, NodeDir: o.nodeDir}
	res.SpawnPerSec = spawnRate(o.tasks, o.nodes*o.slots)

	dir, err := os.MkdirTemp("", "shrike-bench-")
	if err != nil {
		return res, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	nodeDir := dir
	if o.nodeDir != "" {
		if nodeDir, err = os.MkdirTemp(o.nodeDir, "shrike-bench-nodes-"); err != nil {
			return res, err
		}
		defer os.RemoveAll(nodeDir)
	}
	res.NodeDir = nodeDir
	srv, err := startBenchServer(dir, benchServerOptions{config: "sqlite_synchronous: " + o.sync + "\n"})
	if err != nil {
		return res, err
	}
	defer srv.stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var nodes errgroup.Group
	defer func() { cancel(); _ = nodes.Wait() }()
	names := make([]string, o.nodes)
	for i := range names {
		names[i] = fmt.Sprintf("bench-%d", i+1)
	}
	secrets, err := srv.joinNodes(ctx, names, 8)
	if err != nil {
		return res, err
	}
	for i := 1; i <= o.nodes; i++ {
		agent, err := node.New(node.Config{ServerURL: srv.natsURL, Token: secrets[names[i-1]], Name: names[i-1],
			Slots: o.slots, CPUs: o.slots, WorkDir: filepath.Join(nodeDir, fmt.Sprintf("node-%d", i))})
		if err != nil {
			return res, err
		}
		nodes.Go(func() error { return agent.Run(ctx) })
	}
	if err := srv.waitNodes(ctx, o.nodes); err != nil {
		return res, err
	}
	if res.OneJob, err = benchOneJob(ctx, srv, o.tasks); err != nil {
		return res, err
	}
	if res.SingleJobs, res.SubmitPerSec, err = benchSingleJobs(ctx, srv, o.tasks, o.concurrency); err != nil {
		return res, err
	}
	res.ServerCPUSecs = srv.cpuSeconds()
	res.ServerPeakRSSB = srv.peakRSS()
	return res, nil
}

// spawnRate runs /bin/true n times on `parallel` workers and returns the rate.
func spawnRate(n, parallel int) float64 {
	var next atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				_ = exec.Command("/bin/true").Run()
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// benchOneJob submits one job of n trivial tasks and waits for it.
func benchOneJob(ctx context.Context, srv *benchServer, n int) (benchPhase, error) {
	c := srv.client
	var doc strings.Builder
	doc.WriteString(`{"name":"bench-one-job","tasks":[`)
	for i := range n {
		if i > 0 {
			doc.WriteByte(',')
		}
		fmt.Fprintf(&doc, `{"name":"t%d","command":["/bin/true"]}`, i)
	}
	doc.WriteString("]}")
	cpu0 := srv.cpuSeconds()
	start := time.Now()
	resp, err := c.SubmitJob(ctx, []byte(doc.String()), "application/json", nil)
	if err != nil {
		return benchPhase{}, err
	}
	if err := waitIdle(ctx, c); err != nil {
		return benchPhase{}, err
	}
	cpu := srv.cpuSeconds() - cpu0
	job, err := c.GetJob(ctx, resp.ID)
	if err != nil {
		return benchPhase{}, err
	}
	if job.State != api.JobFinished {
		return benchPhase{}, fmt.Errorf("bench job ended %s", job.State)
	}
	p := phaseFromJobs(start, []api.Job{job})
	p.ServerCPU = cpu
	return p, nil
}

// waitIdle polls cheaply (a one-row listing) until no job is pending or
// running, so that the polling itself costs the server little.
func waitIdle(ctx context.Context, c *api.Client) error {
	for {
		list, err := c.ListJobs(ctx, api.ListJobsOptions{States: []api.JobState{api.JobPending, api.JobRunning}, Limit: 1})
		if err != nil {
			return err
		}
		if list.Total == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// benchSingleJobs submits n one-task jobs from `workers` concurrent clients.
func benchSingleJobs(ctx context.Context, srv *benchServer, n, workers int) (benchPhase, float64, error) {
	c := srv.client
	doc := []byte(`{"name":"bench-single","tasks":[{"name":"t","command":["/bin/true"]}]}`)
	ids := make([]int64, n)
	var next atomic.Int64
	cpu0 := srv.cpuSeconds()
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for range workers {
		g.Go(func() error {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				resp, err := c.SubmitJob(gctx, doc, "application/json", nil)
				if err != nil {
					return err
				}
				ids[i] = resp.ID
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return benchPhase{}, 0, err
	}
	submitRate := float64(n) / time.Since(start).Seconds()
	if err := waitIdle(ctx, c); err != nil {
		return benchPhase{}, 0, err
	}
	cpu := srv.cpuSeconds() - cpu0
	jobs := make([]api.Job, n)
	var fetch errgroup.Group
	fetch.SetLimit(8)
	for i, id := range ids {
		fetch.Go(func() (err error) {
			jobs[i], err = c.GetJob(ctx, id)
			return err
		})
	}
	if err := fetch.Wait(); err != nil {
		return benchPhase{}, 0, err
	}
	p := phaseFromJobs(start, jobs)
	p.ServerCPU = cpu
	return p, submitRate, nil
}

// phaseFromJobs derives throughput from the tasks' own finish times and
// latency from submission to the node's start of each task.
func phaseFromJobs(start time.Time, jobs []api.Job) benchPhase {
	var last time.Time
	var lat []float64
	for _, j := range jobs {
		for _, t := range j.Tasks {
			if t.FinishedAt != nil && t.FinishedAt.After(last) {
				last = *t.FinishedAt
			}
			if t.StartedAt != nil {
				lat = append(lat, float64(t.StartedAt.Sub(j.SubmittedAt))/float64(time.Millisecond))
			}
		}
	}
	secs := last.Sub(start).Seconds()
	p := benchPhase{Seconds: secs, LatencyP50ms: percentile(lat, 50), LatencyP99ms: percentile(lat, 99)}
	if secs > 0 {
		p.TasksPerSec = float64(len(lat)) / secs
	}
	return p
}
