package infra

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/shrike-grid/shrike/api"
	"github.com/shrike-grid/shrike/policies"
)

var slurmKind = Kind{
	Name:    "slurm",
	Summary: "Each node agent runs as a Slurm batch job (sbatch), in <work_dir>/<node name> on a filesystem the compute nodes share; the node leaves when its job ends or is cancelled.",
	Params:  slurmParams,
	New:     newSlurm,
}

var slurmParams = []api.Param{
	{Name: "work_dir", Type: api.ParamString, Required: true, Help: "absolute directory on a filesystem shared by the server and the compute nodes (e.g. /shared/shrike); each node works in <work_dir>/<node name>"},
	{Name: "partition", Type: api.ParamString, Help: "Slurm partition of the jobs (--partition; default: the cluster's default)"},
	{Name: "time_limit", Type: api.ParamDuration, Help: "wall-clock limit of each job (--time); the node leaves when it is reached"},
	{Name: "cpus", Type: api.ParamInt, Help: "CPUs of each job (--cpus-per-task), offered by its agent (--cpus)"},
	{Name: "memory", Type: api.ParamString, Help: "memory of each job, like 4G or 500M (--mem)"},
	{Name: "max_nodes", Type: api.ParamInt, Default: "0", Help: "most jobs the source keeps at once; 0: no limit"},
	{Name: "sbatch_options", Type: api.ParamString, Help: "more sbatch options, quoted as in a shell (e.g. \"--account=physics --qos=low\")"},
	{Name: "agent_path", Type: api.ParamString, Default: "shrike", Help: "the shrike binary on the compute nodes (a name is looked up in the job's PATH)"},
	{Name: "agent_args", Type: api.ParamString, Help: "more arguments of `shrike node`, quoted as in a shell"},
	{Name: "nats_url", Type: api.ParamString, Help: "NATS URL the agents use, when the compute nodes reach the server by another address than the one in their credentials"},
	{Name: "slurm_bin", Type: api.ParamString, Help: "directory of sbatch, scancel and squeue (default: found in the server's PATH)"},
	{Name: "slurm_conf", Type: api.ParamString, Help: "slurm.conf the commands use (sets SLURM_CONF; default: Slurm's own)"},
}

func newSlurm(params map[string]string, env Env) (Infrastructure, []api.FieldError) {
	return parse(slurmParams, params, func(v *policies.Values) *slurm {
		return buildSlurm(v, env)
	})
}

// slurm submits each node's agent as a batch job. The handle of a node is
// its job ID; Slurm itself tracks the jobs, so a restarted server finds
// them again with squeue.
type slurm struct {
	env      Env
	workDir  string
	agent    string   // agent_path
	flags    []string // agent flags after --work and --credentials
	sbatch   []string // sbatch options before the script
	natsURL  string
	maxNodes int
	cmds     slurmCommands
}

var _ Infrastructure = (*slurm)(nil)

func (s *slurm) Capacity() int { return s.maxNodes }

func (s *slurm) dir(name string) string { return filepath.Join(s.workDir, name) }

// slurmScript is the batch script in a node's work directory.
const slurmScript = "agent.sbatch"

// Deploy writes the node's credentials and batch script into its work
// directory and submits the script.
func (s *slurm) Deploy(ctx context.Context, n Node) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := api.ValidateNodeName(n.Name); err != nil {
		return "", err
	}
	dir := s.dir(n.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("node work directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("node work directory: %w", err)
	}
	creds := n.Credentials
	if s.natsURL != "" {
		creds.NATSURL = s.natsURL
	}
	if err := writeCredentials(dir, creds); err != nil {
		return "", err
	}
	script := filepath.Join(dir, slurmScript)
	if err := writeBatchScript(script, s.script(n.Name, dir)); err != nil {
		return "", fmt.Errorf("batch script: %w", err)
	}
	out, err := s.cmds.run(ctx, "sbatch", s.sbatchArgs(n.Name, dir)...)
	if err != nil {
		return "", err
	}
	id, cluster, err := parseSbatchOutput(out)
	if err != nil {
		return "", err
	}
	s.logger().Info("slurm job submitted", "node", n.Name, "job", id, "cluster", cluster, "dir", dir)
	return id, nil
}

// script is the batch script of a node: it execs the agent, so Slurm's
// signals (scancel, the time limit) reach the agent itself.
func (s *slurm) script(name, dir string) string {
	argv := append([]string{s.agent}, agentArgs(dir, filepath.Join(dir, CredentialsFile), s.flags...)...)
	return fmt.Sprintf("#!/bin/sh\n# Shrike node %s of source %s, submitted by the shrike server.\nexec %s\n",
		name, s.env.Source, shellPath(argv[0])+" "+shellWords(argv[1:]))
}

// sbatchArgs are sbatch's arguments for a node: ours, then sbatch_options,
// then the script.
func (s *slurm) sbatchArgs(name, dir string) []string {
	args := []string{
		"--parsable",
		"--job-name=shrike-" + s.env.Source + "-" + name,
		"--chdir=" + dir,
		"--output=" + filepath.Join(dir, LogFile),
		"--open-mode=append",
	}
	args = append(args, s.sbatch...)
	return append(args, filepath.Join(dir, slurmScript))
}

// Release cancels the node's job; a job already gone is not an error.
func (s *slurm) Release(ctx context.Context, d Deployed) error {
	id, err := parseJobID(d.Handle)
	if err != nil {
		return err
	}
	if _, err := s.cmds.run(ctx, "scancel", id); err != nil && !isUnknownJob(err) {
		return fmt.Errorf("release node %s (slurm job %s): %w", d.Name, id, err)
	}
	s.logger().Info("slurm job cancelled", "node", d.Name, "job", id)
	return nil
}

// Check asks squeue, once for all nodes, which jobs ended. A job squeue
// no longer lists has ended too (Slurm forgets finished jobs after
// MinJobAge); sacct, where accounting is on, then tells how. When squeue
// itself fails, nothing is reported: a Slurm outage is no proof that the
// agents are gone.
func (s *slurm) Check(ctx context.Context, nodes []Deployed) map[string]string {
	lost := map[string]string{}
	jobs := map[string]string{} // node name → job ID
	for _, d := range nodes {
		id, err := parseJobID(d.Handle)
		if err != nil {
			lost[d.Name] = err.Error()
			continue
		}
		jobs[d.Name] = id
	}
	if len(jobs) == 0 {
		return lost
	}
	ended, err := s.endedJobs(ctx, slices.Compact(slices.Sorted(maps.Values(jobs))))
	if err != nil {
		s.logger().Warn("slurm: cannot check jobs", "err", err)
		return lost
	}
	for name, id := range jobs {
		reason, ok := ended[id]
		if !ok {
			continue
		}
		if api.ValidateNodeName(name) == nil {
			if tail := logTail(filepath.Join(s.dir(name), LogFile)); tail != "" {
				reason += ": " + tail
			}
		}
		lost[name] = reason
	}
	return lost
}

// endedJobs returns, among jobs, those that ended, each with how.
func (s *slurm) endedJobs(ctx context.Context, ids []string) (map[string]string, error) {
	states, err := s.cmds.jobStates(ctx, ids)
	if err != nil {
		return nil, err
	}
	var forgotten []string
	for _, id := range ids {
		if _, ok := states[id]; !ok {
			forgotten = append(forgotten, id)
		}
	}
	final := s.cmds.finalStates(ctx, forgotten, s.logger())
	ended := map[string]string{}
	for _, id := range ids {
		st, listed := states[id]
		switch {
		case listed && slurmEnded[st]:
			ended[id] = fmt.Sprintf("slurm job %s ended: %s", id, st)
		case listed: // pending, running, completing, suspended…
		case final[id] != "":
			ended[id] = fmt.Sprintf("slurm job %s ended: %s", id, final[id])
		default:
			ended[id] = fmt.Sprintf("slurm job %s ended (Slurm no longer lists it)", id)
		}
	}
	return ended, nil
}

// slurmEnded holds the job states after which the agent no longer runs.
var slurmEnded = map[string]bool{
	"COMPLETED": true, "FAILED": true, "CANCELLED": true, "TIMEOUT": true, "NODE_FAIL": true,
	"PREEMPTED": true, "OUT_OF_MEMORY": true, "BOOT_FAIL": true, "DEADLINE": true,
}

// Close does nothing: slurm has no goroutine, and the jobs outlive the
// server.
func (s *slurm) Close() error { return nil }

func (s *slurm) logger() *slog.Logger {
	if s.env.Logger != nil {
		return s.env.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// parseJobID checks that a handle is a Slurm job ID.
func parseJobID(handle string) (string, error) {
	if n, err := strconv.ParseUint(handle, 10, 64); err != nil || n == 0 {
		return "", fmt.Errorf("bad handle %q: want a Slurm job ID", handle)
	}
	return handle, nil
}

// parseSbatchOutput reads `sbatch --parsable`: "ID" or "ID;CLUSTER".
func parseSbatchOutput(out string) (id, cluster string, err error) {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	id, cluster, _ = strings.Cut(strings.TrimSpace(line), ";")
	if _, err := parseJobID(id); err != nil {
		return "", "", fmt.Errorf("sbatch printed %q, not a job ID", strings.TrimSpace(out))
	}
	return id, cluster, nil
}

// writeBatchScript writes a batch script (mode 0600: sbatch reads it, no
// one runs it) through a temporary file in the same directory, so sbatch
// never reads half of it.
func writeBatchScript(path, text string) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.WriteString(text)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
