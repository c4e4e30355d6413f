package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// benchQueueOptions are the knobs of `shrike bench-queue`.
type benchQueueOptions struct {
	tasks, perJob          int
	sync                   string
	jsonOut, keep, restart bool
}

// runBenchQueue is `shrike bench-queue`: how much memory a server holding
// a large backlog of queued tasks uses, and how fast arrays are accepted.
func runBenchQueue(args []string) error {
	fs := flag.NewFlagSet("bench-queue", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: shrike bench-queue [flags]

Starts a server with no nodes (as a child process, so that its memory is
measured alone) and submits, over REST, jobs of one array task each
(replicate: --per-job) until --tasks instances are queued. Prints the time
to each acknowledgment (p50, max), the whole submission's time, the
server's RSS with everything queued (VmRSS after the submissions, and its
peak VmHWM), its CPU seconds, and how long GET /jobs/{id} takes for one
array job (the full task list) and the job listing. With --restart it then
stops the server and starts it again on the same data, and prints how long
it took to serve again with the backlog reloaded (PENDING instances have no
row until their first change: the server rebuilds them from the jobs'
documents) and its RSS after.

Targets (issue 6): a job of 100,000 instances acknowledged in ≤ 1 s, and a
server holding 1,000,000 queued tasks within 2 GiB of RSS.

Example:
  shrike bench-queue --tasks 1000000 --per-job 100000

Flags:
`)
		fs.PrintDefaults()
	}
	var o benchQueueOptions
	fs.IntVar(&o.tasks, "tasks", 1_000_000, "queued task instances in all")
	fs.IntVar(&o.perJob, "per-job", 100_000, "instances per array job")
	fs.StringVar(&o.sync, "sqlite-synchronous", "FULL", "server's SQLite synchronous mode (FULL or NORMAL)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the results as JSON")
	fs.BoolVar(&o.keep, "keep", false, "keep the bench data dir")
	fs.BoolVar(&o.restart, "restart", false, "then restart the server and measure the reload")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if o.tasks < 1 || o.perJob < 1 || o.perJob > api.MaxReplicas {
		return usageErr(fmt.Errorf("--tasks must be positive and --per-job 1 to %d", api.MaxReplicas))
	}
	res, err := benchQueueRun(o)
	if err != nil {
		return err
	}
	if o.jsonOut {
		return printJSON(os.Stdout, res)
	}
	res.print()
	return nil
}

// benchQueueResult is what `shrike bench-queue` reports.
type benchQueueResult struct {
	Tasks          int            `json:"tasks"`
	PerJob         int            `json:"per_job"`
	Jobs           int            `json:"jobs"`
	Synchronous    string         `json:"sqlite_synchronous"`
	Ack            latencySummary `json:"ack"`
	SubmitSeconds  float64        `json:"submit_seconds"`
	Queued         int            `json:"queued"`
	ServerRSS      int64          `json:"server_rss_bytes"`
	ServerPeakRSS  int64          `json:"server_peak_rss_bytes"`
	ServerCPUSecs  float64        `json:"server_cpu_seconds"`
	GetJobSeconds  float64        `json:"get_job_seconds"`
	ListJobSeconds float64        `json:"list_jobs_seconds"`
	// With --restart: from the stop of the first server to the second's
	// first health answer, and the second's RSS once it answers.
	RestartSeconds   float64 `json:"restart_seconds,omitempty"`
	RestartRSS       int64   `json:"restart_rss_bytes,omitempty"`
	RestartQueued    int     `json:"restart_queued,omitempty"`
	RestartServerCPU float64 `json:"restart_server_cpu_seconds,omitempty"`
}

func (r benchQueueResult) print() {
	fmt.Printf("shrike bench-queue: %d queued task instances in %d array jobs of up to %d, no nodes, SQLite synchronous=%s\n",
		r.Tasks, r.Jobs, r.PerJob, r.Synchronous)
	fmt.Printf("  acknowledgment per job:   p50 %.0f ms, max %.0f ms\n", r.Ack.P50ms, r.Ack.MaxMs)
	fmt.Printf("  all submissions:          %.2f s (%.0f instances/s)\n", r.SubmitSeconds, float64(r.Tasks)/r.SubmitSeconds)
	fmt.Printf("  queued (job listing):     %d\n", r.Queued)
	fmt.Printf("  server RSS:               %s now, peak %s (%.0f bytes per queued task)\n",
		api.HumanBytes(r.ServerRSS), api.HumanBytes(r.ServerPeakRSS), float64(r.ServerPeakRSS)/float64(r.Tasks))
	fmt.Printf("  server CPU:               %.2f s\n", r.ServerCPUSecs)
	fmt.Printf("  GET /jobs/{id}:           %.2f s for %d tasks; job listing %.3f s\n", r.GetJobSeconds, r.PerJob, r.ListJobSeconds)
	if r.RestartSeconds > 0 {
		fmt.Printf("  restart:                  serving again after %.2f s with %d queued, RSS %s, CPU %.2f s\n",
			r.RestartSeconds, r.RestartQueued, api.HumanBytes(r.RestartRSS), r.RestartServerCPU)
	}
}

func benchQueueRun(o benchQueueOptions) (benchQueueResult, error) {
	res := benchQueueResult{Tasks: o.tasks, PerJob: o.perJob, Synchronous: o.sync}
	dir, err := os.MkdirTemp("", "shrike-bench-queue-")
	if err != nil {
		return res, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	srv, err := startBenchServer(dir, benchServerOptions{config: "sqlite_synchronous: " + o.sync + "\n"})
	if err != nil {
		return res, err
	}
	defer func() { srv.stop() }() // the one running at the end
	ctx := context.Background()
	c := srv.client
	var acks []time.Duration
	var first int64
	start := time.Now()
	for left := o.tasks; left > 0; {
		n := min(left, o.perJob)
		doc := fmt.Sprintf(`{"name":"bench-queue-%d","tasks":[{"name":"t","command":["/bin/true"],"replicate":%d}]}`, len(acks)+1, n)
		t0 := time.Now()
		resp, err := c.SubmitJob(ctx, []byte(doc), "application/json", nil)
		if err != nil {
			return res, err
		}
		acks = append(acks, time.Since(t0))
		if first == 0 {
			first = resp.ID
		}
		left -= n
	}
	res.SubmitSeconds = time.Since(start).Seconds()
	res.Jobs, res.Ack = len(acks), summarize(acks)
	res.ServerRSS = procStatusBytes(srv.cmd.Process.Pid, "VmRSS")

	t0 := time.Now()
	list, err := c.ListJobs(ctx, api.ListJobsOptions{Limit: res.Jobs})
	if err != nil {
		return res, err
	}
	res.ListJobSeconds = time.Since(t0).Seconds()
	for _, j := range list.Jobs {
		res.Queued += j.TaskCounts[api.TaskPending]
	}
	if res.Queued != o.tasks {
		return res, fmt.Errorf("the server lists %d queued tasks, want %d", res.Queued, o.tasks)
	}
	t0 = time.Now()
	job, err := c.GetJob(ctx, first)
	if err != nil {
		return res, err
	}
	res.GetJobSeconds = time.Since(t0).Seconds()
	if len(job.Tasks) != min(o.tasks, o.perJob) {
		return res, errors.New("GET /jobs/{id} did not return every instance")
	}
	res.ServerPeakRSS = srv.peakRSS()
	res.ServerCPUSecs = srv.cpuSeconds()
	if !o.restart {
		return res, nil
	}
	t0 = time.Now()
	srv.stop()
	if srv, err = startBenchServer(dir, benchServerOptions{config: "sqlite_synchronous: " + o.sync + "\n"}); err != nil {
		return res, err
	}
	res.RestartSeconds = time.Since(t0).Seconds()
	res.RestartRSS = procStatusBytes(srv.cmd.Process.Pid, "VmRSS")
	res.RestartServerCPU = srv.cpuSeconds()
	if list, err = srv.client.ListJobs(ctx, api.ListJobsOptions{Limit: res.Jobs}); err != nil {
		return res, err
	}
	for _, j := range list.Jobs {
		res.RestartQueued += j.TaskCounts[api.TaskPending]
	}
	return res, nil
}
