package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/sync/errgroup"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/server"
)

// fdMargin is what the bench and the server need beyond one descriptor per
// simulated node: the store, JetStream, REST clients, the runtime.
const fdMargin = 1024

// simRequestTimeout bounds every request of a simulated node, like the
// agent's default request timeout.
const simRequestTimeout = 5 * time.Second

// benchNodesOptions are the knobs of `shrike bench-nodes`.
type benchNodesOptions struct {
	nodes, jobs, concurrency    int
	interval, timeout, duration time.Duration
	taskTime                    time.Duration
	sync, prefix                string
	serverEnv                   []string
	jsonOut, keep               bool
}

// runBenchNodes is `shrike bench-nodes`: a server holding many simulated
// nodes that heartbeat, measured for CPU, memory and heartbeat latency.
func runBenchNodes(args []string) error {
	fs := flag.NewFlagSet("bench-nodes", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: shrike bench-nodes [flags]

Starts a server (as a child process, so that its CPU time and memory are
measured alone) and simulates N nodes in this process, each with its own
NATS connection (user = node name, password = the node token), that
register, heartbeat every interval with a random phase, and answer start
commands with a fake executor (accept, then report success after
--task-time). Once every node is registered and one interval has passed,
it measures over --duration: the server's CPU (cores used), its RSS now and
at peak, heartbeat round trips p50/p99/max as the nodes see them, failed
heartbeats, nodes the server holds DOWN at the end, and this process's own
CPU. With --jobs K it also submits K single-task jobs over REST, spread over
the window.

Needs one file descriptor per node in this process and in the server: it
raises RLIMIT_NOFILE (up to the hard limit) and says so if that is not
enough.

Example:
  shrike bench-nodes --nodes 10000 --interval 5s --duration 60s

Flags:
`)
		fs.PrintDefaults()
	}
	var o benchNodesOptions
	fs.IntVar(&o.nodes, "nodes", 10000, "simulated nodes (one NATS connection each)")
	fs.DurationVar(&o.interval, "interval", 5*time.Second, "server's heartbeat_interval")
	fs.DurationVar(&o.timeout, "heartbeat-timeout", 20*time.Second, "server's heartbeat_timeout (at least twice --interval)")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "measurement window, after registration and one interval of warm-up")
	fs.IntVar(&o.jobs, "jobs", 0, "single-task jobs submitted over REST during the window (0: heartbeats only)")
	fs.DurationVar(&o.taskTime, "task-time", time.Second, "how long the fake executor 'runs' each task")
	fs.IntVar(&o.concurrency, "connect-concurrency", 32, "nodes connecting and registering at once (the ramp-up)")
	fs.StringVar(&o.sync, "sqlite-synchronous", "FULL", "server's SQLite synchronous mode (FULL or NORMAL)")
	fs.StringVar(&o.prefix, "prefix", "sim", "simulated node names are PREFIX-00001, …")
	fs.Func("server-env", "`KEY=VALUE` added to the server's environment (repeatable), e.g. GOMEMLIMIT=800MiB, GODEBUG=gctrace=1 or SHRIKE_CPUPROFILE=server.prof", func(v string) error {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return fmt.Errorf("%q is not KEY=VALUE", v)
		}
		o.serverEnv = append(o.serverEnv, v)
		return nil
	})
	fs.BoolVar(&o.jsonOut, "json", false, "print the results as JSON")
	fs.BoolVar(&o.keep, "keep", false, "keep the bench data dir")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	switch {
	case o.nodes < 1 || o.concurrency < 1 || o.jobs < 0:
		return usageErr(errors.New("--nodes and --connect-concurrency must be positive, --jobs not negative"))
	case o.interval <= 0 || o.duration <= 0 || o.taskTime < 0:
		return usageErr(errors.New("--interval and --duration must be positive, --task-time not negative"))
	case o.timeout < 2*o.interval:
		return usageErr(errors.New("--heartbeat-timeout must be at least twice --interval"))
	case api.ValidateNodeName(nodeName(o.prefix, o.nodes)) != nil:
		return usageErr(fmt.Errorf("--prefix %q does not make valid node names", o.prefix))
	}
	if path := os.Getenv("SHRIKE_BENCH_CPUPROFILE"); path != "" {
		stopProfile, err := startCPUProfile(path)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	res, err := benchNodesRun(o, progressf(!o.jsonOut))
	if err != nil {
		return err
	}
	if o.jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		res.print()
	}
	if res.NodesDown > 0 {
		return fmt.Errorf("bench-nodes: the server holds %d of %d nodes DOWN at the end", res.NodesDown, res.Nodes)
	}
	return nil
}

// progressf returns a logger of the bench's phases on stderr (silent when
// off, so that --json output stays clean apart from warnings).
func progressf(on bool) func(string, ...any) {
	return func(format string, args ...any) {
		if on {
			fmt.Fprintf(os.Stderr, "bench-nodes: "+format+"\n", args...)
		}
	}
}

// nodeName is the name of simulated node i (1-based).
func nodeName(prefix string, i int) string { return fmt.Sprintf("%s-%05d", prefix, i) }

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

func benchNodesRun(o benchNodesOptions, logf func(string, ...any)) (benchNodesResult, error) {
	res := benchNodesResult{
		Nodes: o.nodes, IntervalSecs: o.interval.Seconds(), TimeoutSecs: o.timeout.Seconds(), WindowSecs: o.duration.Seconds(),
		Synchronous: o.sync, ServerEnv: o.serverEnv, CPUs: runtime.NumCPU(), LoadAvgBefore: loadAvg(), Concurrency: o.concurrency,
	}
	// Before the server starts, so that it inherits the limit.
	limit, err := raiseNoFile(uint64(o.nodes) + fdMargin)
	res.FDLimit = limit
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench-nodes: warning: %v\n", err)
	}

	dir, err := os.MkdirTemp("", "shrike-bench-nodes-")
	if err != nil {
		return res, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	srv, err := startNodesBenchServer(dir, o)
	if err != nil {
		return res, err
	}
	defer srv.stop()
	pid := srv.cmd.Process.Pid
	time.Sleep(200 * time.Millisecond)
	res.ServerRSSIdle = procStatusBytes(pid, "VmRSS")

	ctx := context.Background()
	f := newSimFleet(o, srv.natsURL, srv.token)
	defer f.close()

	logf("connecting and registering %d nodes, %d at once", o.nodes, o.concurrency)
	cpu0 := srv.cpuSeconds()
	start := time.Now()
	if err := f.connectAll(logf); err != nil {
		return res, err
	}
	res.ConnectAllSecs = time.Since(start).Seconds()
	res.ServerRegisterCPU = srv.cpuSeconds() - cpu0
	res.Connect, res.Register = f.connectLat.summary(), f.registerLat.summary()
	res.ConnectRetries, res.RegisterRetries = f.connectRetries.Load(), f.registerRetries.Load()
	states, err := nodeStates(ctx, srv.client)
	if err != nil {
		return res, err
	}
	if alive := states[string(api.NodeFree)] + states[string(api.NodeBusy)]; alive != o.nodes {
		return res, fmt.Errorf("after registration the server lists %v, want %d alive nodes", states, o.nodes)
	}
	res.ServerRSSNodes = procStatusBytes(pid, "VmRSS")
	res.ServerBytesNode = (res.ServerRSSNodes - res.ServerRSSIdle) / int64(o.nodes)
	logf("%d nodes registered in %.1fs; warming up for %v", o.nodes, res.ConnectAllSecs, o.interval)
	time.Sleep(o.interval)

	logf("measuring for %v", o.duration)
	f.startWindow()
	scpu0, bcpu0 := srv.cpuSeconds(), procCPUSeconds(os.Getpid())
	wstart := time.Now()
	var jobs *jobLoad
	if o.jobs > 0 {
		jobs = startJobLoad(ctx, srv.client, o.jobs, o.duration)
	}
	res.ServerCPUSlices = sampleCPU(srv.cpuSeconds, wstart, o.duration, o.interval)
	wall := time.Since(wstart).Seconds()
	scpu, bcpu := srv.cpuSeconds()-scpu0, procCPUSeconds(os.Getpid())-bcpu0
	f.stopWindow()
	res.ServerCPUSecs, res.ServerCPUCores = scpu, scpu/wall
	res.BenchCPUSecs, res.BenchCPUCores = bcpu, bcpu/wall
	res.ServerRSS, res.ServerPeakRSS = procStatusBytes(pid, "VmRSS"), procPeakRSS(pid)
	res.ServerThreads = int(procStatusBytes(pid, "Threads"))
	res.BenchRSS, res.BenchPeakRSS = procStatusBytes(os.Getpid(), "VmRSS"), procPeakRSS(os.Getpid())
	res.BenchGoroutines = runtime.NumGoroutine()
	res.Heartbeat = f.hbLat.summary()
	res.HeartbeatsPerSec = float64(res.Heartbeat.Count) / wall
	if res.Heartbeat.Count > 0 {
		res.ServerCPUPerHB = math.Round(1e6 * scpu / float64(res.Heartbeat.Count))
	}
	res.ExpectedPerSec = float64(o.nodes) / o.interval.Seconds()
	res.HeartbeatsFailed, res.HeartbeatTimeout = f.hbFailed.Load(), f.hbTimedOut.Load()
	res.HeartbeatsFailedAll = f.hbFailedAll.Load()
	res.Reregisters, res.Disconnects, res.AsyncErrors = f.reregisters.Load(), f.disconnects.Load(), f.asyncErrors.Load()
	if res.NodeStates, err = nodeStates(ctx, srv.client); err != nil {
		return res, err
	}
	res.NodesDown = res.NodeStates[string(api.NodeDown)]
	if jobs != nil {
		logf("waiting for the jobs to finish")
		res.Jobs = jobs.finish(ctx, srv.client, o.taskTime)
		res.Jobs.TasksStarted, res.Jobs.ResultsAcked, res.Jobs.ReportsFailed = f.started.Load(), f.acked.Load(), f.reportFailures.Load()
	}
	res.LoadAvgAfter = loadAvg()
	logf("disconnecting")
	f.close()
	return res, nil
}

// sampleCPU waits until start+window and returns the CPU cores that cpu
// (a process's CPU seconds) grew by over each slice of the window.
func sampleCPU(cpu func() float64, start time.Time, window, slice time.Duration) []float64 {
	var out []float64
	prev, prevAt := cpu(), time.Now()
	for at := start.Add(slice); ; at = at.Add(slice) {
		end := !at.Before(start.Add(window))
		if end {
			at = start.Add(window)
		}
		time.Sleep(time.Until(at))
		now, nowAt := cpu(), time.Now()
		if d := nowAt.Sub(prevAt).Seconds(); d > 0 {
			out = append(out, math.Round(100*(now-prev)/d)/100)
		}
		prev, prevAt = now, nowAt
		if end {
			return out
		}
	}
}

// startNodesBenchServer starts the server child with the heartbeat settings
// in its config file, like startBenchServer.
func startNodesBenchServer(dir string, o benchNodesOptions) (*benchServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	httpAddr, natsAddr := loopbackAddr(), loopbackAddr()
	cfgPath := filepath.Join(dir, "server.yaml")
	cfg := fmt.Sprintf("sqlite_synchronous: %s\nheartbeat_interval: %s\nheartbeat_timeout: %s\n", o.sync, o.interval, o.timeout)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	dataDir := filepath.Join(dir, "server")
	cmd := exec.Command(exe, "server", "--config", cfgPath, "--data-dir", dataDir, "--listen", httpAddr, "--nats-listen", natsAddr, "--log-level", "error")
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), o.serverEnv...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &benchServer{cmd: cmd, natsURL: "nats://" + natsAddr}
	url := "http://" + httpAddr
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := api.NewClient(url, "").Health(context.Background()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("bench server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	pw, err1 := os.ReadFile(filepath.Join(dataDir, server.AdminPasswordFile))
	tok, err2 := os.ReadFile(filepath.Join(dataDir, server.NodeTokenFile))
	if err := errors.Join(err1, err2); err != nil {
		s.stop()
		return nil, err
	}
	s.token = strings.TrimSpace(string(tok))
	login, err := api.NewClient(url, "").Login(context.Background(), "admin", strings.TrimSpace(string(pw)))
	if err != nil {
		s.stop()
		return nil, err
	}
	s.client = api.NewClient(url, login.Token)
	return s, nil
}

// raiseNoFile raises this process's RLIMIT_NOFILE to want (the hard limit
// too, where allowed) and returns the soft limit it got. Setting it
// explicitly also makes child processes inherit it (Go otherwise gives
// them back the limit the process started with). The error says what to
// do when the limit stays below want.
func raiseNoFile(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("cannot read RLIMIT_NOFILE: %w", err)
	}
	if lim.Max < want {
		raised := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return want, nil
		}
	}
	lim.Cur = max(lim.Cur, min(want, lim.Max))
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return lim.Cur, fmt.Errorf("cannot set RLIMIT_NOFILE to %d: %w", lim.Cur, err)
	}
	if lim.Cur < want {
		return lim.Cur, fmt.Errorf("open files limited to %d (hard limit), below the %d this bench needs (nodes + %d); connections beyond it will fail: raise it (ulimit -Hn, /etc/security/limits.conf) or use fewer --nodes",
			lim.Cur, want, fdMargin)
	}
	return lim.Cur, nil
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	return strings.Join(f[:min(3, len(f))], " ")
}

// procStatusBytes reads one field of /proc/<pid>/status: a size in kB
// (VmRSS, VmHWM, …) is returned in bytes, a count (Threads) as is.
func procStatusBytes(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	return parseProcStatus(string(data), field)
}

// parseProcStatus finds "field:" in the text of a /proc status file and
// returns its value, converting kB to bytes; 0 if it is missing.
func parseProcStatus(status, field string) int64 {
	for line := range strings.SplitSeq(status, "\n") {
		rest, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0
		}
		v, _ := strconv.ParseInt(f[0], 10, 64)
		if len(f) > 1 && f[1] == "kB" {
			v <<= 10
		}
		return v
	}
	return 0
}

// nodeStates counts the server's nodes by state.
func nodeStates(ctx context.Context, c *api.Client) (map[string]int, error) {
	nodes, err := c.ListNodes(ctx)
	if err != nil {
		return nil, err
	}
	states := map[string]int{}
	for _, n := range nodes {
		states[string(n.State)]++
	}
	return states, nil
}

// latencySummary condenses round-trip times.
type latencySummary struct {
	Count  int     `json:"count"`
	P50ms  float64 `json:"p50_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
	MeanMs float64 `json:"mean_ms"`
}

// summarize returns the count, nearest-rank p50 and p99, maximum and mean
// of ds, in milliseconds.
func summarize(ds []time.Duration) latencySummary {
	if len(ds) == 0 {
		return latencySummary{}
	}
	vals := make([]float64, len(ds))
	var sum float64
	for i, d := range ds {
		vals[i] = float64(d) / float64(time.Millisecond)
		sum += vals[i]
	}
	return latencySummary{
		Count:  len(ds),
		P50ms:  percentile(vals, 50),
		P99ms:  percentile(vals, 99),
		MaxMs:  slices.Max(vals),
		MeanMs: sum / float64(len(vals)),
	}
}

// latencies collects durations from many goroutines, only while on.
type latencies struct {
	mu sync.Mutex
	on bool
	ds []time.Duration
}

func newLatencies(on bool) *latencies { return &latencies{on: on} }

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	if l.on {
		l.ds = append(l.ds, d)
	}
	l.mu.Unlock()
}

func (l *latencies) set(on bool) {
	l.mu.Lock()
	l.on = on
	l.mu.Unlock()
}

func (l *latencies) summary() latencySummary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return summarize(l.ds)
}

// simFleet is the simulated nodes and their shared counters.
type simFleet struct {
	o          benchNodesOptions
	url, token string
	runID      string
	nodes      []*simNode
	ctx        context.Context // ends the nodes' loops
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	closeOnce  sync.Once

	connectLat, registerLat, hbLat *latencies
	window                         atomic.Bool // failures are counted only in the window

	connectRetries, registerRetries atomic.Int64
	hbFailed, hbTimedOut            atomic.Int64
	hbFailedAll                     atomic.Int64 // also outside the window
	reregisters, disconnects        atomic.Int64
	asyncErrors                     atomic.Int64
	started, acked, reportFailures  atomic.Int64
}

func newSimFleet(o benchNodesOptions, url, token string) *simFleet {
	ctx, cancel := context.WithCancel(context.Background())
	return &simFleet{
		o: o, url: url, token: token, runID: strconv.FormatUint(rand.Uint64(), 36), ctx: ctx, cancel: cancel,
		connectLat: newLatencies(true), registerLat: newLatencies(true), hbLat: newLatencies(false),
	}
}

func (f *simFleet) startWindow() {
	f.hbFailed.Store(0)
	f.hbTimedOut.Store(0)
	f.reregisters.Store(0)
	f.disconnects.Store(0)
	f.asyncErrors.Store(0)
	f.window.Store(true)
	f.hbLat.set(true)
}

func (f *simFleet) stopWindow() {
	f.window.Store(false)
	f.hbLat.set(false)
}

// connectAll connects and registers every node, o.concurrency at a time,
// and starts each node's loop as soon as it is registered (with a random
// phase, so the heartbeat load ramps up with the nodes).
func (f *simFleet) connectAll(logf func(string, ...any)) error {
	f.nodes = make([]*simNode, f.o.nodes)
	for i := range f.nodes {
		f.nodes[i] = &simNode{
			f: f, name: nodeName(f.o.prefix, i+1), instance: fmt.Sprintf("%s-%d", f.runID, i+1),
			running: map[api.TaskKey]*simAttempt{}, results: map[api.TaskKey]api.TaskResult{},
			kick: make(chan struct{}, 1), rereg: make(chan struct{}, 1),
		}
	}
	g, gctx := errgroup.WithContext(f.ctx)
	g.SetLimit(f.o.concurrency)
	var done atomic.Int64
	step := max(f.o.nodes/10, 1)
	for _, n := range f.nodes {
		g.Go(func() error {
			if err := n.connect(gctx); err != nil {
				return err
			}
			if err := n.register(gctx, true); err != nil {
				return err
			}
			f.wg.Go(func() { n.loop(f.ctx) })
			if d := done.Add(1); d%int64(step) == 0 {
				logf("  %d/%d registered", d, f.o.nodes)
			}
			return nil
		})
	}
	return g.Wait()
}

// close stops every node's loop and closes the connections.
func (f *simFleet) close() {
	f.closeOnce.Do(func() {
		f.cancel()
		f.wg.Wait()
		var g errgroup.Group
		g.SetLimit(64)
		for _, n := range f.nodes {
			if n != nil && n.nc != nil {
				g.Go(func() error { n.nc.Close(); return nil })
			}
		}
		_ = g.Wait()
	})
}

// simNode is one simulated node: its connection, a fake executor, and the
// results it has not had acknowledged yet.
type simNode struct {
	f              *simFleet
	name, instance string
	nc             *nats.Conn
	seq            uint64

	mu      sync.Mutex
	running map[api.TaskKey]*simAttempt
	results map[api.TaskKey]api.TaskResult // awaiting acknowledgement

	kick  chan struct{} // results to report
	rereg chan struct{} // register again (reconnected)
}

// simAttempt is an attempt the fake executor "runs".
type simAttempt struct {
	ref     api.TaskRef
	started time.Time
	timer   *time.Timer
}

func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// connect opens the node's own connection and subscribes to its commands.
func (n *simNode) connect(ctx context.Context) error {
	f := n.f
	opts := []nats.Option{
		nats.Name("shrike-bench-node " + n.name),
		nats.UserInfo(n.name, f.token),
		nats.CustomInboxPrefix(api.InboxPrefix(n.name)),
		nats.Timeout(10 * time.Second),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, 250*time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil && f.window.Load() {
				f.disconnects.Add(1)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { notify(n.rereg) }),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {
			if f.window.Load() {
				f.asyncErrors.Add(1)
			}
		}),
	}
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		t0 := time.Now()
		nc, err := nats.Connect(f.url, opts...)
		if err == nil {
			f.connectLat.add(time.Since(t0))
			n.nc = nc
			break
		}
		if errors.Is(err, nats.ErrAuthorization) || attempt == 10 {
			return fmt.Errorf("node %s cannot connect (attempt %d): %w", n.name, attempt, err)
		}
		f.connectRetries.Add(1)
		if !sleepFor(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(2*backoff, 2*time.Second)
	}
	if _, err := n.nc.Subscribe(api.SubjectCommand(n.name), n.handleCommand); err != nil {
		return fmt.Errorf("node %s: subscribe to commands: %w", n.name, err)
	}
	return nil
}

func sleepFor(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// request sends req as JSON and decodes the reply.
func (n *simNode) request(ctx context.Context, subject string, req, reply any) error {
	data, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, simRequestTimeout)
	defer cancel()
	msg, err := n.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		return err
	}
	return json.Unmarshal(msg.Data, reply)
}

// refs lists what the node runs or holds unacknowledged results for.
func (n *simNode) refs() []api.TaskRef {
	n.mu.Lock()
	defer n.mu.Unlock()
	refs := make([]api.TaskRef, 0, len(n.running)+len(n.results))
	for _, a := range n.running {
		refs = append(refs, a.ref)
	}
	for _, r := range n.results {
		refs = append(refs, r.TaskRef)
	}
	return refs
}

// register sends RegisterRequests until one is answered without error.
func (n *simNode) register(ctx context.Context, first bool) error {
	f := n.f
	backoff := 250 * time.Millisecond
	for {
		req := api.RegisterRequest{
			Name: n.name, Instance: n.instance, Running: n.refs(),
			Facts: api.NodeFacts{
				Hostname: n.name + ".bench", OS: "linux", Arch: "amd64", CPUs: 8, Slots: 8,
				MemoryTotal: 32 << 30, MemoryFree: 28 << 30, Load1: 0.1,
				Tags: []string{"bench", "simulated"}, Version: api.Version,
			},
		}
		var reply api.RegisterReply
		t0 := time.Now()
		err := n.request(ctx, api.SubjectRegister(n.name), req, &reply)
		if err == nil && reply.Error != nil {
			if reply.Error.Code == api.CodeForbidden || reply.Error.Code == api.CodeBadToken {
				return fmt.Errorf("node %s: registration refused: %w", n.name, reply.Error)
			}
			err = reply.Error
		}
		if err == nil {
			if first {
				f.registerLat.add(time.Since(t0))
			}
			n.kill(reply.Kill)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.registerRetries.Add(1)
		if !sleepFor(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// loop heartbeats every interval (first after a random phase), registers
// again when asked, and reports results, until ctx ends.
func (n *simNode) loop(ctx context.Context) {
	interval := n.f.o.interval
	next := time.Now().Add(rand.N(interval))
	t := time.NewTimer(time.Until(next))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.rereg:
			_ = n.register(ctx, false)
		case <-n.kick:
			n.report(ctx)
		case <-t.C:
			n.heartbeat(ctx)
			next = nextTick(next, interval, time.Now())
			t.Reset(time.Until(next))
		}
	}
}

// nextTick is the first tick after now on the schedule prev + k·interval,
// skipping ticks that a slow heartbeat overran (like a time.Ticker).
func nextTick(prev time.Time, interval time.Duration, now time.Time) time.Time {
	next := prev.Add(interval)
	if !next.After(now) {
		next = next.Add((now.Sub(next)/interval + 1) * interval)
	}
	return next
}

// heartbeat sends one heartbeat and acts on the reply.
func (n *simNode) heartbeat(ctx context.Context) {
	f := n.f
	n.seq++
	hb := api.Heartbeat{Name: n.name, Instance: n.instance, Seq: n.seq, MemoryFree: 28 << 30, Load1: 0.1, Running: n.refs()}
	var reply api.HeartbeatReply
	t0 := time.Now()
	err := n.request(ctx, api.SubjectHeartbeat(n.name), hb, &reply)
	if ctx.Err() != nil {
		return
	}
	if err == nil && reply.Error != nil {
		err = reply.Error
	}
	if err != nil {
		f.hbFailedAll.Add(1)
		if f.window.Load() {
			f.hbFailed.Add(1)
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
				f.hbTimedOut.Add(1)
			}
		}
		return
	}
	f.hbLat.add(time.Since(t0))
	n.kill(reply.Kill)
	if reply.Reregister {
		if f.window.Load() {
			f.reregisters.Add(1)
		}
		_ = n.register(ctx, false)
	}
}

// report sends the results awaiting acknowledgement; what the server does
// not acknowledge is sent again a second later (the agent's outbox retry).
func (n *simNode) report(ctx context.Context) {
	n.mu.Lock()
	batch := make([]api.TaskResult, 0, len(n.results))
	for _, r := range n.results {
		batch = append(batch, r)
	}
	n.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	var ack api.ReportAck
	err := n.request(ctx, api.SubjectReport(n.name), api.ReportBatch{Name: n.name, Results: batch}, &ack)
	if ctx.Err() != nil {
		return
	}
	if err == nil && ack.Error != nil {
		err = ack.Error
	}
	if err != nil {
		n.f.reportFailures.Add(1)
		time.AfterFunc(time.Second, func() { notify(n.kick) })
		return
	}
	n.mu.Lock()
	sent := len(batch)
	for _, ref := range ack.Acked {
		if _, ok := n.results[ref.Key()]; ok {
			delete(n.results, ref.Key())
			n.f.acked.Add(1)
			sent--
		}
	}
	n.mu.Unlock()
	if sent > 0 { // some not acknowledged: send them again later
		time.AfterFunc(time.Second, func() { notify(n.kick) })
	}
	// Results that ended during the request have kicked again already.
}

// handleCommand is the fake executor: starts are accepted and succeed after
// --task-time, kills end the attempt as killed, and logs are empty.
func (n *simNode) handleCommand(m *nats.Msg) {
	var cmd api.Command
	var reply api.CommandReply
	switch err := json.Unmarshal(m.Data, &cmd); {
	case err != nil:
		reply.Error = api.Errorf(api.CodeBadRequest, "bad command: %v", err)
	case cmd.Start != nil:
		for _, t := range cmd.Start.Tasks {
			n.start(t.TaskRef)
			reply.Accepted = append(reply.Accepted, t.TaskRef)
		}
	case cmd.Kill != nil:
		reply.Accepted = n.kill(cmd.Kill.Tasks)
	case cmd.FetchLog != nil:
		reply.Log = &api.LogChunk{TaskRef: cmd.FetchLog.TaskRef, Offset: cmd.FetchLog.Offset, EOF: true}
	default: // an empty command, or one the simulator does not play (leave)
		reply.Error = api.Errorf(api.CodeBadRequest, "the simulated node does not handle this command")
	}
	if m.Reply == "" {
		return
	}
	if data, err := json.Marshal(reply); err == nil {
		_ = m.Respond(data)
	}
}

// start admits an attempt; a repeated start of one it runs or holds a
// result for is accepted without starting anything.
func (n *simNode) start(ref api.TaskRef) {
	k := ref.Key()
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.running[k]; ok {
		return
	}
	if _, ok := n.results[k]; ok {
		return
	}
	a := &simAttempt{ref: ref, started: time.Now()}
	a.timer = time.AfterFunc(n.f.o.taskTime, func() { n.finish(a, api.OutcomeSucceeded) })
	n.running[k] = a
	n.f.started.Add(1)
}

// finish moves a running attempt's result to the outbox and asks for a
// report.
func (n *simNode) finish(a *simAttempt, outcome api.Outcome) {
	k := a.ref.Key()
	n.mu.Lock()
	if n.running[k] != a {
		n.mu.Unlock()
		return
	}
	delete(n.running, k)
	res := api.TaskResult{TaskRef: a.ref, Outcome: outcome, StartedAt: a.started, FinishedAt: time.Now()}
	if outcome != api.OutcomeSucceeded {
		res.ExitCode = -1
	}
	n.results[k] = res
	n.mu.Unlock()
	notify(n.kick)
}

// kill ends the listed attempts that run, as killed, and returns them.
func (n *simNode) kill(refs []api.TaskRef) []api.TaskRef {
	var found []api.TaskRef
	for _, ref := range refs {
		n.mu.Lock()
		a := n.running[ref.Key()]
		n.mu.Unlock()
		if a != nil {
			a.timer.Stop()
			n.finish(a, api.OutcomeKilled)
			found = append(found, ref)
		}
	}
	return found
}

// jobLoad submits single-task jobs evenly over the window.
type jobLoad struct {
	start time.Time
	mu    sync.Mutex
	ids   []int64
	errs  atomic.Int64
	done  chan struct{}
}

func startJobLoad(ctx context.Context, c *api.Client, k int, window time.Duration) *jobLoad {
	l := &jobLoad{start: time.Now(), done: make(chan struct{})}
	doc := []byte(`{"name":"bench-nodes","tasks":[{"name":"t","command":["/bin/true"]}]}`)
	go func() {
		defer close(l.done)
		var g errgroup.Group
		g.SetLimit(8)
		for i := range k {
			at := l.start.Add(time.Duration(int64(window) * int64(i) / int64(k)))
			if !sleepFor(ctx, time.Until(at)) {
				break
			}
			g.Go(func() error {
				resp, err := c.SubmitJob(ctx, doc, "application/json", nil)
				if err != nil {
					l.errs.Add(1)
					return nil
				}
				l.mu.Lock()
				l.ids = append(l.ids, resp.ID)
				l.mu.Unlock()
				return nil
			})
		}
		_ = g.Wait()
	}()
	return l
}

// finish waits for the submissions and (boundedly) for the jobs to end,
// then counts them and their submit→start latency.
func (l *jobLoad) finish(ctx context.Context, c *api.Client, taskTime time.Duration) *benchNodesJobs {
	<-l.done
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second+2*taskTime)
	_ = waitIdle(wctx, c)
	cancel()
	jobs := make([]api.Job, len(l.ids))
	var g errgroup.Group
	g.SetLimit(8)
	for i, id := range l.ids {
		g.Go(func() error {
			jobs[i], _ = c.GetJob(ctx, id)
			return nil
		})
	}
	_ = g.Wait()
	r := &benchNodesJobs{Submitted: len(l.ids), SubmitErrors: l.errs.Load()}
	for _, j := range jobs {
		if j.State == api.JobFinished {
			r.Finished++
		} else {
			r.NotFinished++
		}
	}
	p := phaseFromJobs(l.start, jobs)
	r.StartP50ms, r.StartP99ms = p.LatencyP50ms, p.LatencyP99ms
	return r
}
