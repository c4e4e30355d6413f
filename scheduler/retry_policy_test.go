package scheduler

import (
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

func TestRetryDelay(t *testing.T) {
	tests := []struct {
		name string
		in   Attempt
		want time.Duration
	}{
		{"no delay", Attempt{Outcome: api.OutcomeFailed, MaxAttempts: 3}, 0},
		{"fixed delay", Attempt{Outcome: api.OutcomeFailed, Failures: 1, MaxAttempts: 5, RetryDelay: 30 * time.Second}, 30 * time.Second},
		{"first exponential", Attempt{Outcome: api.OutcomeFailed, MaxAttempts: 5, RetryDelay: 30 * time.Second, ExponentialBackoff: true}, 30 * time.Second},
		{"third exponential", Attempt{Outcome: api.OutcomeWalltime, Failures: 2, MaxAttempts: 5, RetryDelay: 30 * time.Second, ExponentialBackoff: true}, 2 * time.Minute},
		{"exponential is capped", Attempt{Outcome: api.OutcomeError, Failures: 50, MaxAttempts: 100, RetryDelay: time.Minute, ExponentialBackoff: true}, MaxRetryDelay},
		{"fixed is capped", Attempt{Outcome: api.OutcomeFailed, MaxAttempts: 2, RetryDelay: 3 * time.Hour}, MaxRetryDelay},
		{"no delay when giving up", Attempt{Outcome: api.OutcomeFailed, Failures: 2, MaxAttempts: 3, RetryDelay: time.Minute}, 0},
		{"node loss retries at once", Attempt{NodeLost: true, MaxAttempts: 3, RetryDelay: time.Minute}, 0},
		{"success", Attempt{Outcome: api.OutcomeSucceeded, MaxAttempts: 3, RetryDelay: time.Minute}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Retry(tt.in).Delay; got != tt.want {
				t.Errorf("Retry(%+v).Delay = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestScheduleAvoidNodes(t *testing.T) {
	nodes := []Node{
		{Name: "a", MilliCPU: 4000, Memory: 1 << 30, Slots: 4},
		{Name: "b", MilliCPU: 1000, Memory: 1 << 30, Slots: 4},
	}
	tests := []struct {
		name   string
		avoid  []string
		node   string // "" when unplaced
		reason string
	}{
		{"no avoidance takes the tightest fit", nil, "b", ""},
		{"avoids the node it failed on", []string{"b"}, "a", ""},
		{"every node avoided", []string{"a", "b"}, "", MsgFailedEverywhere},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := Schedule(Snapshot{Nodes: nodes, Queue: []QueuedTask{
				{TaskID: 1, JobID: 1, Name: "t", MilliCPU: 1000, AvoidNodes: tt.avoid},
			}})
			if tt.node != "" {
				if len(plan.Placements) != 1 || plan.Placements[0].Node != tt.node {
					t.Fatalf("placements = %+v, want task 1 on %s", plan.Placements, tt.node)
				}
				return
			}
			if len(plan.Placements) != 0 || len(plan.Unplaced) != 1 {
				t.Fatalf("plan = %+v, want task 1 unplaced", plan)
			}
			r := plan.Unplaced[0].Reasons
			if len(r) != 1 || r[0].Message != tt.reason || r[0].Count != 2 {
				t.Errorf("reasons = %+v, want 2 nodes %q", r, tt.reason)
			}
		})
	}
}

func TestScheduleAvoidNodesKeepsOthersApart(t *testing.T) {
	// A task that avoids a node must not poison the shape cache of tasks
	// that do not.
	plan := Schedule(Snapshot{Nodes: []Node{{Name: "a", MilliCPU: 2000, Memory: 1 << 30, Slots: 2}}, Queue: []QueuedTask{
		{TaskID: 1, JobID: 1, Index: 0, Name: "x", MilliCPU: 1000, AvoidNodes: []string{"a"}},
		{TaskID: 2, JobID: 1, Index: 1, Name: "y", MilliCPU: 1000},
	}})
	if len(plan.Placements) != 1 || plan.Placements[0].TaskID != 2 || plan.Placements[0].Node != "a" {
		t.Fatalf("placements = %+v, want only task 2 on a", plan.Placements)
	}
}
