package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/api"
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
NATS connection (user = node name, password = its own secret, from a join
with the node token), that register, heartbeat every interval with a random
phase, and answer start
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
	// The heartbeat settings go into the server's config file.
	cfg := fmt.Sprintf("sqlite_synchronous: %s\nheartbeat_interval: %s\nheartbeat_timeout: %s\n", o.sync, o.interval, o.timeout)
	srv, err := startBenchServer(dir, benchServerOptions{config: cfg, env: o.serverEnv})
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
	logf("joining %d nodes (each gets its own credentials), %d at once", o.nodes, o.concurrency)
	if f.secrets, err = srv.joinNodes(ctx, f.names(), o.concurrency); err != nil {
		return res, err
	}

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
	// A node is CONFIGURING from its registration to its first heartbeat
	// (the simulated nodes spread theirs over one interval).
	if alive := states[string(api.NodeConfiguring)] + states[string(api.NodeFree)] + states[string(api.NodeBusy)]; alive != o.nodes {
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
