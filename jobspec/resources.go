package jobspec

import (
	"time"

	"github.com/shrike-grid/shrike/api"
	"gopkg.in/yaml.v3"
)

// Limits of a task's fields.
const (
	MaxCPU             = 4096                  // cores
	MaxMemory          = api.ByteSize(1 << 50) // 1PiB
	MaxAttemptsLimit   = 100
	MaxWalltime        = api.Duration(365 * 24 * time.Hour)
	minMilliCPU        = 1 // the scheduler counts thousandths of a core
	maxWalltimeSeconds = float64(MaxWalltime / api.Duration(time.Second))
)

var resourceFields = []string{"cpu", "memory"}

// resources reads a task's resources, defaulting what is absent.
func (p *parser) resources(path string, n *yaml.Node) api.Resources {
	r := api.Resources{CPU: api.DefaultTaskCPU}
	m, ok := p.object(path, n, resourceFields)
	if !ok {
		return r
	}
	if v := m["cpu"]; v != nil {
		r.CPU = p.cpu(join(path, "cpu"), v)
	}
	if v := m["memory"]; v != nil {
		r.Memory = p.memory(join(path, "memory"), v)
	}
	return r
}

// cpu reads a number of cores: more than 0 (at least 0.001) and at most MaxCPU.
func (p *parser) cpu(path string, n *yaml.Node) float64 {
	v, ok := p.number(path, n)
	if !ok {
		return api.DefaultTaskCPU
	}
	if v <= 0 || v > MaxCPU || (api.Resources{CPU: v}).MilliCPU() < minMilliCPU {
		p.errorf(path, n, "must be more than 0 (at least 0.001) and at most %d cores, got %s", MaxCPU, resolve(n).Value)
		return api.DefaultTaskCPU
	}
	return v
}

// memory reads a size string ("512MiB") or a whole number of bytes.
func (p *parser) memory(path string, n *yaml.Node) api.ByteSize {
	n = resolve(n)
	var v api.ByteSize
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int":
		b, ok := p.integer(path, n)
		if !ok {
			return 0
		}
		if b < 0 {
			p.errorf(path, n, "must not be negative, got %d", b)
			return 0
		}
		v = api.ByteSize(b)
	case n.Kind == yaml.ScalarNode && isText(n):
		b, err := api.ParseByteSize(n.Value)
		if err != nil {
			p.errorf(path, n, "%s", err)
			return 0
		}
		v = b
	default:
		p.errorf(path, n, "must be a size like 512MiB or a whole number of bytes, got %s", describeValue(n))
		return 0
	}
	if v > MaxMemory {
		p.errorf(path, n, "is too large (%s, at most %s)", v, MaxMemory)
		return 0
	}
	return v
}

// maxAttempts reads how many attempts a task may fail before it fails.
func (p *parser) maxAttempts(path string, n *yaml.Node) int {
	v, ok := p.integer(path, n)
	if !ok {
		return api.DefaultMaxAttempts
	}
	if v < 1 || v > MaxAttemptsLimit {
		p.errorf(path, n, "must be between 1 and %d, got %d", MaxAttemptsLimit, v)
		return api.DefaultMaxAttempts
	}
	return int(v)
}

// walltime reads a duration string ("90s", "2h", "1d") or a number of
// seconds: more than 0 and at most MaxWalltime.
func (p *parser) walltime(path string, n *yaml.Node) api.Duration {
	n = resolve(n)
	var v api.Duration
	switch {
	case n.Kind == yaml.ScalarNode && isText(n):
		d, err := api.ParseDuration(n.Value)
		if err != nil {
			p.errorf(path, n, "%s", err)
			return 0
		}
		v = d
	case n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float"):
		secs, ok := p.number(path, n)
		if !ok {
			return 0
		}
		v = MaxWalltime + 1 // out of range unless converted below
		if secs <= maxWalltimeSeconds {
			v = api.Duration(secs * float64(time.Second))
		}
	default:
		p.errorf(path, n, "must be a duration like 90s, 10m, 2h or 1d, got %s", kindName(n))
		return 0
	}
	if v <= 0 || v > MaxWalltime {
		p.errorf(path, n, "must be more than 0 and at most 365d, got %s", n.Value)
		return 0
	}
	return v
}
