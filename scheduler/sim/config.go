package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/shrike-grid/shrike/api"
)

// Cluster is a cluster file: the nodes, the queues, and how fast fair
// share forgets.
type Cluster struct {
	Nodes  []NodeSpec  `yaml:"nodes"`
	Queues []QueueSpec `yaml:"queues"`
	// FairShareHalfLife is how fast past usage is forgotten (default 24h,
	// the server's default).
	FairShareHalfLife Duration `yaml:"fair_share_half_life"`
}

// NodeSpec is one node, or Count alike nodes named Prefix01, Prefix02...
type NodeSpec struct {
	Name   string `yaml:"name"`
	Count  int    `yaml:"count"`
	Prefix string `yaml:"prefix"`
	// CPUs in cores (fractions allowed); Memory reservable bytes.
	CPUs   float64 `yaml:"cpus"`
	Memory Size    `yaml:"memory"`
	// Slots is how many tasks it runs at once (default: CPUs, at least 1).
	Slots int `yaml:"slots"`
	// Host is the machine it runs on, for distinct_hosts (default: its
	// name; nodes of one machine share it).
	Host string `yaml:"host"`
	// Tags are the node tokens it carries: it runs only tasks that request
	// one of them (a task's token).
	Tags []string `yaml:"tags"`
}

// QueueSpec is one queue, with the fields of the server's queues config.
type QueueSpec struct {
	Name              string  `yaml:"name"`
	Weight            float64 `yaml:"weight"`
	Policy            string  `yaml:"policy"` // fifo (default) or backfill
	Preemption        bool    `yaml:"preemption"`
	MaxRunning        int     `yaml:"max_running"`
	MaxCPUs           float64 `yaml:"max_cpus"`
	MaxRunningPerUser int     `yaml:"max_running_per_user"`
	MaxCPUsPerUser    float64 `yaml:"max_cpus_per_user"`
}

// Workload is a workload file: the jobs to submit.
type Workload struct {
	Jobs []JobSpec `yaml:"jobs"`
}

// JobSpec is one job of a workload, or Repeat alike jobs submitted Every
// apart.
type JobSpec struct {
	Name string `yaml:"name"`
	// Submit is when it is submitted, from the start of the simulation.
	Submit   Duration   `yaml:"submit"`
	User     string     `yaml:"user"`  // default "user"
	Queue    string     `yaml:"queue"` // default api.DefaultQueue
	Priority string     `yaml:"priority"`
	Repeat   int        `yaml:"repeat"`
	Every    Duration   `yaml:"every"`
	Tasks    []TaskSpec `yaml:"tasks"`
}

// TaskSpec is one task of a job.
type TaskSpec struct {
	Name string `yaml:"name"`
	// CPU in cores (default 1); Memory reserved bytes.
	CPU    *float64 `yaml:"cpu"`
	Memory Size     `yaml:"memory"`
	// Duration is how long an attempt runs in virtual time; Walltime, when
	// set, is the most it may run (it is also what backfill plans with).
	Duration Duration `yaml:"duration"`
	Walltime Duration `yaml:"walltime"`
	// Nodes and DistinctHosts: a multi-node task.
	Nodes         int  `yaml:"nodes"`
	DistinctHosts bool `yaml:"distinct_hosts"`
	// Token requests nodes tagged with it.
	Token     string   `yaml:"token"`
	DependsOn []string `yaml:"depends_on"`
	// Replicate expands the task into that many instances NAME[i].
	Replicate int `yaml:"replicate"`
	// Fail lists the attempts (1, 2, ...) that exit with an error; with
	// MaxAttempts above 1 they are retried after RetryDelay. Attempts are
	// counted as they end; a preempted attempt does not count.
	Fail        []int    `yaml:"fail"`
	MaxAttempts int      `yaml:"max_attempts"`
	RetryDelay  Duration `yaml:"retry_delay"`
}

// Duration is a time.Duration written as "90s", "10m" or "1d".
type Duration time.Duration

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := api.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// Size is a number of bytes written as "512MiB", "2GiB" or a number.
type Size int64

// UnmarshalYAML reads a size string.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := api.ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*s = Size(v)
	return nil
}

// LoadCluster reads and checks a cluster file.
func LoadCluster(path string) (Cluster, error) {
	var c Cluster
	if err := decodeFile(path, &c); err != nil {
		return c, err
	}
	return c, prefixed(path, c.Validate())
}

// LoadWorkload reads and checks a workload file.
func LoadWorkload(path string) (Workload, error) {
	var w Workload
	if err := decodeFile(path, &w); err != nil {
		return w, err
	}
	return w, prefixed(path, w.Validate())
}

// ParseCluster reads a cluster document and checks it.
func ParseCluster(r io.Reader) (Cluster, error) {
	var c Cluster
	if err := decode(r, &c); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// ParseWorkload reads a workload document and checks it.
func ParseWorkload(r io.Reader) (Workload, error) {
	var w Workload
	if err := decode(r, &w); err != nil {
		return w, err
	}
	return w, w.Validate()
}

func decodeFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return prefixed(path, decode(bytes.NewReader(data), v))
}

func prefixed(path string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", path, err)
}

// unknownField rewrites yaml.v3's "field x not found in type sim.TaskSpec".
var unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)

// decode decodes one YAML document strictly: unknown fields are errors
// that name the field.
func decode(r io.Reader, v any) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) {
		return errors.New("empty document")
	}
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
		msg = unknownField.ReplaceAllString(msg, `unknown field "$1"`)
		return errors.New(msg)
	}
	return nil
}

// problems collects validation errors, each naming its field.
type problems []string

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "; "))
}

// Validate reports every problem of the cluster, each naming its field.
func (c *Cluster) Validate() error {
	var p problems
	if len(c.Nodes) == 0 {
		p.add("nodes", "at least one node is required")
	}
	names := map[string]bool{}
	for i, n := range c.Nodes {
		f := fmt.Sprintf("nodes[%d]", i)
		switch {
		case n.Name != "" && (n.Count != 0 || n.Prefix != ""):
			p.add(f, "give either name, or count and prefix")
		case n.Name == "" && (n.Count < 1 || n.Prefix == ""):
			p.add(f, "a name, or a count of at least 1 and a prefix, is required")
		}
		if !(n.CPUs > 0) || math.IsInf(n.CPUs, 0) {
			p.add(f+".cpus", "must be positive")
		}
		if n.Memory < 0 {
			p.add(f+".memory", "must not be negative")
		}
		if n.Slots < 0 {
			p.add(f+".slots", "must not be negative")
		}
		for _, name := range n.names() {
			if names[name] {
				p.add(f, "node %s is defined twice", name)
			}
			names[name] = true
		}
	}
	queues := map[string]bool{}
	for i, q := range c.Queues {
		f := fmt.Sprintf("queues[%d]", i)
		if q.Name == "" {
			p.add(f+".name", "is required")
		} else if queues[q.Name] {
			p.add(f+".name", "queue %s is defined twice", q.Name)
		}
		queues[q.Name] = true
		if !(q.Weight >= 0) { // YAML reads .nan and .inf too
			p.add(f+".weight", "must not be negative")
		} else if math.IsInf(q.Weight, 1) {
			p.add(f+".weight", "must be finite")
		}
		if q.Policy != "" && q.Policy != "fifo" && q.Policy != "backfill" {
			p.add(f+".policy", "must be fifo or backfill, not %q", q.Policy)
		}
		if q.MaxRunning < 0 || q.MaxRunningPerUser < 0 || q.MaxCPUs < 0 || q.MaxCPUsPerUser < 0 {
			p.add(f, "quotas must not be negative")
		}
	}
	if c.FairShareHalfLife < 0 {
		p.add("fair_share_half_life", "must not be negative")
	}
	return p.err()
}

// names are the names of the nodes n defines.
func (n NodeSpec) names() []string {
	if n.Name != "" {
		return []string{n.Name}
	}
	width := max(2, len(fmt.Sprint(n.Count)))
	out := make([]string, n.Count)
	for i := range out {
		out[i] = fmt.Sprintf("%s%0*d", n.Prefix, width, i+1)
	}
	return out
}

// Validate reports every problem of the workload, each naming its field.
func (w *Workload) Validate() error {
	var p problems
	for i, j := range w.Jobs {
		f := fmt.Sprintf("jobs[%d]", i)
		if j.Priority != "" {
			if _, err := api.ParsePriority(j.Priority); err != nil {
				p.add(f+".priority", "%v", err)
			}
		}
		if j.Repeat < 0 {
			p.add(f+".repeat", "must not be negative")
		}
		if len(j.Tasks) == 0 {
			p.add(f+".tasks", "at least one task is required")
		}
		names := map[string]bool{}
		for k, t := range j.Tasks {
			tf := fmt.Sprintf("%s.tasks[%d]", f, k)
			if t.Name == "" {
				p.add(tf+".name", "is required")
			} else if names[t.Name] {
				p.add(tf+".name", "task %s is defined twice in the job", t.Name)
			}
			names[t.Name] = true
			if t.CPU != nil && !(*t.CPU >= 0) {
				p.add(tf+".cpu", "must not be negative")
			} else if t.CPU != nil && math.IsInf(*t.CPU, 1) {
				p.add(tf+".cpu", "must be finite")
			}
			if t.Memory < 0 {
				p.add(tf+".memory", "must not be negative")
			}
			if t.Nodes < 0 {
				p.add(tf+".nodes", "must not be negative")
			}
			if t.Replicate < 0 {
				p.add(tf+".replicate", "must not be negative")
			}
			if t.MaxAttempts < 0 {
				p.add(tf+".max_attempts", "must not be negative")
			}
			for _, a := range t.Fail {
				if a < 1 {
					p.add(tf+".fail", "attempts are counted from 1, not %d", a)
				}
			}
		}
		for k, t := range j.Tasks {
			for _, d := range t.DependsOn {
				if !names[d] {
					p.add(fmt.Sprintf("%s.tasks[%d].depends_on", f, k), "no task %q in the job", d)
				} else if d == t.Name {
					p.add(fmt.Sprintf("%s.tasks[%d].depends_on", f, k), "a task cannot depend on itself")
				}
			}
		}
		if c := cycle(j.Tasks); c != "" {
			p.add(f+".tasks", "dependency cycle through %s", c)
		}
	}
	return p.err()
}

// cycle returns the name of a task on a dependency cycle, or "".
func cycle(tasks []TaskSpec) string {
	deps := map[string][]string{}
	for _, t := range tasks {
		deps[t.Name] = t.DependsOn
	}
	const (
		visiting = 1
		done     = 2
	)
	mark := map[string]int{}
	var visit func(string) string
	visit = func(n string) string {
		switch mark[n] {
		case visiting:
			return n
		case done:
			return ""
		}
		mark[n] = visiting
		for _, d := range deps[n] {
			if d != n { // reported on its own
				if c := visit(d); c != "" {
					return c
				}
			}
		}
		mark[n] = done
		return ""
	}
	for _, t := range tasks {
		if c := visit(t.Name); c != "" {
			return c
		}
	}
	return ""
}
