package server

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

func TestConfigValidateQueues(t *testing.T) {
	tests := []struct {
		name   string
		queues []QueueConfig
		edit   func(*Config)
		want   []string // parts of the error; none: valid
	}{
		{name: "none"},
		{name: "valid", queues: []QueueConfig{{Name: "short", Weight: 2, Policy: "backfill", MaxRunning: 10, MaxCPUsPerUser: 4}, {Name: "long"}}},
		{name: "missing name", queues: []QueueConfig{{}}, want: []string{"queues[0].name: required"}},
		{name: "bad name", queues: []QueueConfig{{Name: "a queue"}}, want: []string{`queues[0].name: "a queue"`}},
		{name: "duplicate", queues: []QueueConfig{{Name: "a"}, {Name: "a"}}, want: []string{`queues[1].name: "a" is already the name of queues[0]`}},
		{name: "weight", queues: []QueueConfig{{Name: "a", Weight: -1}}, want: []string{"queues[0].weight: must be positive"}},
		{name: "weight NaN", queues: []QueueConfig{{Name: "a", Weight: math.NaN()}}, want: []string{"queues[0].weight: must be positive"}},
		{name: "max_cpus infinite", queues: []QueueConfig{{Name: "a", MaxCPUs: math.Inf(1)}}, want: []string{"queues[0].max_cpus: must be a number"}},
		{name: "policy", queues: []QueueConfig{{Name: "a"}, {Name: "b", Policy: "lifo"}}, want: []string{`queues[1].policy: "lifo" is not fifo or backfill`}},
		{name: "quotas", queues: []QueueConfig{{Name: "a", MaxRunning: -1, MaxCPUs: -2, MaxRunningPerUser: -3, MaxCPUsPerUser: -4}},
			want: []string{"queues[0].max_running:", "queues[0].max_cpus:", "queues[0].max_running_per_user:", "queues[0].max_cpus_per_user:"}},
		{name: "half-life", edit: func(c *Config) { c.FairShareHalfLife = 0 }, want: []string{"fair_share_half_life: must be positive"}},
		{name: "everything at once", queues: []QueueConfig{{Name: "a", Policy: "x"}, {Name: "a", Weight: -1}},
			edit: func(c *Config) { c.FairShareHalfLife = -time.Hour },
			want: []string{"queues[0].policy", "queues[1].name", "queues[1].weight", "fair_share_half_life"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := TestConfig(t.TempDir())
			c.Queues = tt.queues
			if tt.edit != nil {
				tt.edit(&c)
			}
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted it, want errors %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestEffectiveQueues(t *testing.T) {
	c := TestConfig(t.TempDir())
	c.Queues = []QueueConfig{{Name: "short", Policy: "BACKFILL"}}
	qs := c.effectiveQueues()
	if len(qs) != 2 || qs[0].Name != "short" || qs[0].Weight != 1 || qs[0].Policy != PolicyBackfill ||
		qs[1].Name != api.DefaultQueue || qs[1].Policy != PolicyFIFO || qs[1].Weight != 1 {
		t.Fatalf("effective queues %+v, want short (weight 1, backfill) and an implicit FIFO default", qs)
	}
	c.Queues = []QueueConfig{{Name: api.DefaultQueue, Weight: 3, Policy: "backfill"}}
	if qs := c.effectiveQueues(); len(qs) != 1 || qs[0].Weight != 3 {
		t.Fatalf("effective queues %+v, want only the configured default", qs)
	}
}
