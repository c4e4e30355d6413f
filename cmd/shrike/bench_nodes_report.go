package main

import (
	"fmt"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// benchNodesResult is what `shrike bench-nodes` reports.
type benchNodesResult struct {
	Nodes               int            `json:"nodes"`
	IntervalSecs        float64        `json:"heartbeat_interval_seconds"`
	TimeoutSecs         float64        `json:"heartbeat_timeout_seconds"`
	WindowSecs          float64        `json:"window_seconds"`
	Synchronous         string         `json:"sqlite_synchronous"`
	ServerEnv           []string       `json:"server_env,omitempty"`
	FDLimit             uint64         `json:"fd_limit"`
	CPUs                int            `json:"cpus"`
	LoadAvgBefore       string         `json:"loadavg_before"`
	LoadAvgAfter        string         `json:"loadavg_after"`
	Concurrency         int            `json:"connect_concurrency"`
	ConnectAllSecs      float64        `json:"connect_and_register_seconds"`
	Connect             latencySummary `json:"connect"`
	Register            latencySummary `json:"register"`
	ConnectRetries      int64          `json:"connect_retries"`
	RegisterRetries     int64          `json:"register_retries"`
	HeartbeatsPerSec    float64        `json:"heartbeats_per_second"`
	ExpectedPerSec      float64        `json:"expected_heartbeats_per_second"`
	Heartbeat           latencySummary `json:"heartbeat_rtt"`
	HeartbeatsFailed    int64          `json:"heartbeats_failed"`
	HeartbeatTimeout    int64          `json:"heartbeats_timed_out"`
	HeartbeatsFailedAll int64          `json:"heartbeats_failed_whole_run"`
	Reregisters         int64          `json:"reregisters"`
	Disconnects         int64          `json:"disconnects"`
	AsyncErrors         int64          `json:"nats_async_errors"`
	NodeStates          map[string]int `json:"node_states_at_end"`
	NodesDown           int            `json:"nodes_down_at_end"`

	ServerCPUSecs  float64 `json:"server_cpu_seconds"`
	ServerCPUCores float64 `json:"server_cpu_cores"`
	// ServerCPUPerHB is the window's server CPU per heartbeat answered, in
	// µs (everything else the server did in the window included).
	ServerCPUPerHB float64 `json:"server_cpu_us_per_heartbeat"`
	// ServerCPUSlices is the server's CPU in cores over each heartbeat
	// interval of the window, to show whether the load is steady.
	ServerCPUSlices   []float64 `json:"server_cpu_cores_per_interval"`
	ServerRegisterCPU float64   `json:"server_cpu_seconds_connect_and_register"`
	ServerRSSIdle     int64     `json:"server_rss_bytes_before_nodes"`
	ServerRSSNodes    int64     `json:"server_rss_bytes_after_register"`
	ServerRSS         int64     `json:"server_rss_bytes"`
	ServerPeakRSS     int64     `json:"server_peak_rss_bytes"`
	ServerBytesNode   int64     `json:"server_rss_bytes_per_node"`
	ServerThreads     int       `json:"server_threads"`

	BenchCPUSecs    float64 `json:"bench_cpu_seconds"`
	BenchCPUCores   float64 `json:"bench_cpu_cores"`
	BenchRSS        int64   `json:"bench_rss_bytes"`
	BenchPeakRSS    int64   `json:"bench_peak_rss_bytes"`
	BenchGoroutines int     `json:"bench_goroutines"`

	Jobs *benchNodesJobs `json:"jobs,omitempty"`
}

// benchNodesJobs is the mixed-load part (--jobs).
type benchNodesJobs struct {
	Submitted     int     `json:"submitted"`
	Finished      int     `json:"finished"`
	NotFinished   int     `json:"not_finished"`
	SubmitErrors  int64   `json:"submit_errors"`
	StartP50ms    float64 `json:"submit_to_start_p50_ms"`
	StartP99ms    float64 `json:"submit_to_start_p99_ms"`
	TasksStarted  int64   `json:"fake_starts"`
	ResultsAcked  int64   `json:"results_acked"`
	ReportsFailed int64   `json:"reports_failed"`
}

func (r benchNodesResult) print() {
	ms := func(s latencySummary) string {
		return fmt.Sprintf("p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d)", s.P50ms, s.P99ms, s.MaxMs, s.Count)
	}
	fmt.Printf("shrike bench-nodes: %d simulated nodes, heartbeat every %gs (timeout %gs), window %gs, SQLite synchronous=%s\n",
		r.Nodes, r.IntervalSecs, r.TimeoutSecs, r.WindowSecs, r.Synchronous)
	if len(r.ServerEnv) > 0 {
		fmt.Printf("  server environment: %s\n", strings.Join(r.ServerEnv, " "))
	}
	fmt.Printf("  machine: %d CPUs, load average before %s, after %s; RLIMIT_NOFILE %d\n", r.CPUs, r.LoadAvgBefore, r.LoadAvgAfter, r.FDLimit)
	fmt.Printf("  connect + register (%d at once): %.1fs (%.0f nodes/s); connect %s; register %s; retries %d/%d\n",
		r.Concurrency, r.ConnectAllSecs, float64(r.Nodes)/r.ConnectAllSecs, ms(r.Connect), ms(r.Register), r.ConnectRetries, r.RegisterRetries)
	fmt.Printf("  %-26s %s\n", "", "steady window")
	row := func(k, v string) { fmt.Printf("  %-26s %s\n", k, v) }
	row("server CPU", fmt.Sprintf("%.3f cores (%.2f CPU s in %.0f s, %.0f µs per heartbeat); %.2f CPU s to connect and register (%.2f ms per node)",
		r.ServerCPUCores, r.ServerCPUSecs, r.WindowSecs, r.ServerCPUPerHB, r.ServerRegisterCPU, 1000*r.ServerRegisterCPU/float64(r.Nodes)))
	row("server CPU per interval", fmt.Sprint(r.ServerCPUSlices))
	row("server RSS", fmt.Sprintf("%s now, %s peak (VmHWM); %s before nodes, %s after registration (%s per node); %d threads",
		api.HumanBytes(r.ServerRSS), api.HumanBytes(r.ServerPeakRSS), api.HumanBytes(r.ServerRSSIdle), api.HumanBytes(r.ServerRSSNodes),
		api.HumanBytes(r.ServerBytesNode), r.ServerThreads))
	row("heartbeats", fmt.Sprintf("%.0f /s (expected %.0f /s)", r.HeartbeatsPerSec, r.ExpectedPerSec))
	row("heartbeat round trip", ms(r.Heartbeat))
	row("heartbeats failed", fmt.Sprintf("%d (%d timed out), %d in the whole run; re-registrations %d; disconnects %d; NATS async errors %d",
		r.HeartbeatsFailed, r.HeartbeatTimeout, r.HeartbeatsFailedAll, r.Reregisters, r.Disconnects, r.AsyncErrors))
	row("nodes by state at end", fmt.Sprintf("%v; DOWN: %d", r.NodeStates, r.NodesDown))
	row("bench process (simulator)", fmt.Sprintf("%.3f cores, RSS %s now, %s peak, %d goroutines",
		r.BenchCPUCores, api.HumanBytes(r.BenchRSS), api.HumanBytes(r.BenchPeakRSS), r.BenchGoroutines))
	if j := r.Jobs; j != nil {
		row("jobs (mixed load)", fmt.Sprintf("%d submitted, %d finished, %d not finished, %d submit errors; submit→start p50 %.1f ms, p99 %.1f ms; fake starts %d, results acked %d, failed reports %d",
			j.Submitted, j.Finished, j.NotFinished, j.SubmitErrors, j.StartP50ms, j.StartP99ms, j.TasksStarted, j.ResultsAcked, j.ReportsFailed))
	}
}
