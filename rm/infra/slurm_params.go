package infra

import (
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shrike-grid/shrike/policies"
)

// buildSlurm checks the slurm parameters beyond their types and turns
// them into sbatch options and agent flags.
func buildSlurm(v *policies.Values, env Env) *slurm {
	s := &slurm{env: env, agent: v.String("agent_path"), maxNodes: v.Int("max_nodes"), natsURL: v.String("nats_url")}
	s.workDir = slurmPathParam(v, "work_dir")
	v.Check(s.agent != "", "agent_path", "must not be empty")
	v.Check(s.maxNodes >= 0, "max_nodes", "must be 0 (no limit) or more")
	if p := v.String("partition"); p != "" {
		s.sbatch = append(s.sbatch, "--partition="+p)
	}
	if v.Has("time_limit") {
		d := v.Duration("time_limit")
		v.Check(d > 0, "time_limit", "must be more than 0")
		s.sbatch = append(s.sbatch, "--time="+slurmTime(d))
	}
	if v.Has("cpus") {
		n := v.Int("cpus")
		v.Check(n >= 1, "cpus", "must be at least 1")
		s.sbatch = append(s.sbatch, "--cpus-per-task="+strconv.Itoa(n))
		s.flags = append(s.flags, "--cpus", strconv.Itoa(n))
	}
	if m := v.String("memory"); m != "" {
		v.Check(slurmMemoryRE.MatchString(m), "memory", "%q is not a size like 4G, 500M or 1T", m)
		s.sbatch = append(s.sbatch, "--mem="+strings.ToUpper(m))
	}
	s.sbatch = append(s.sbatch, slurmWordsParam(v, "sbatch_options")...)
	s.flags = append(s.flags, slurmWordsParam(v, "agent_args")...)
	if s.natsURL != "" {
		v.Check(slurmNATSURLs(s.natsURL), "nats_url", "%q is not a URL like nats://host:4222 (or a comma-separated list of them)", s.natsURL)
	}
	s.cmds = slurmCommands{bin: slurmPathParam(v, "slurm_bin"), conf: slurmPathParam(v, "slurm_conf")}
	return s
}

// slurmPathParam returns a path parameter, checked to be absolute (the server's
// working directory means nothing on the compute nodes).
func slurmPathParam(v *policies.Values, name string) string {
	p := v.String(name)
	if p == "" {
		return ""
	}
	v.Check(filepath.IsAbs(p), name, "%q is not an absolute path", p)
	return filepath.Clean(p)
}

// slurmWordsParam splits a parameter the way a shell would.
func slurmWordsParam(v *policies.Values, name string) []string {
	w, err := splitShellWords(v.String(name))
	v.Check(err == nil, name, "%v", err)
	return w
}

// slurmMemoryRE matches what --mem takes: a number of megabytes, or of
// the unit given.
var slurmMemoryRE = regexp.MustCompile(`^(?i)[0-9]+[KMGT]?$`)

// slurmTime writes a duration as sbatch's --time: whole minutes as
// "MINUTES", anything else as "DAYS-HH:MM:SS" (seconds rounded up).
func slurmTime(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	if secs%60 == 0 {
		return strconv.FormatInt(secs/60, 10)
	}
	return fmt.Sprintf("%d-%02d:%02d:%02d", secs/86400, secs/3600%24, secs/60%60, secs%60)
}

// slurmNATSURLs reports whether s is a comma-separated list of URLs with
// a scheme and a host.
func slurmNATSURLs(s string) bool {
	for part := range strings.SplitSeq(s, ",") {
		u, err := url.Parse(strings.TrimSpace(part))
		if err != nil || u.Scheme == "" || u.Host == "" {
			return false
		}
	}
	return true
}
