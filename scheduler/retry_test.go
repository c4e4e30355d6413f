package scheduler

import (
	"testing"

	"github.com/shrike-grid/shrike/api"
)

func TestRetry(t *testing.T) {
	tests := []struct {
		name string
		in   Attempt
		want RetryDecision
	}{
		{"success",
			Attempt{Outcome: api.OutcomeSucceeded, Failures: 1, NodeLosses: 1, MaxAttempts: 3},
			RetryDecision{State: api.TaskFinished, Failures: 1, NodeLosses: 1}},
		{"killed is never retried",
			Attempt{Outcome: api.OutcomeKilled, MaxAttempts: 3, Error: "by alice"},
			RetryDecision{State: api.TaskKilled, Reason: "killed: by alice"}},
		{"first failure of three",
			Attempt{Outcome: api.OutcomeFailed, ExitCode: 3, MaxAttempts: 3},
			RetryDecision{State: api.TaskPending, Failures: 1, Reason: "exit code 3; retrying (attempt 2 of 3)"}},
		{"last failure of three",
			Attempt{Outcome: api.OutcomeFailed, ExitCode: 3, Failures: 2, NodeLosses: 1, MaxAttempts: 3},
			RetryDecision{State: api.TaskFailed, Failures: 3, NodeLosses: 1, Reason: "exit code 3; gave up after 3 attempts"}},
		{"single attempt",
			Attempt{Outcome: api.OutcomeFailed, ExitCode: 1, MaxAttempts: 1},
			RetryDecision{State: api.TaskFailed, Failures: 1, Reason: "exit code 1"}},
		{"max attempts unset counts as one",
			Attempt{Outcome: api.OutcomeFailed, ExitCode: 1},
			RetryDecision{State: api.TaskFailed, Failures: 1, Reason: "exit code 1"}},
		{"signal",
			Attempt{Outcome: api.OutcomeFailed, ExitCode: -1, Error: "killed by signal 9", MaxAttempts: 2},
			RetryDecision{State: api.TaskPending, Failures: 1, Reason: "exit code -1: killed by signal 9; retrying (attempt 2 of 2)"}},
		{"failed without exit code",
			Attempt{Outcome: api.OutcomeFailed, Error: "oom", MaxAttempts: 1},
			RetryDecision{State: api.TaskFailed, Failures: 1, Reason: "failed: oom"}},
		{"walltime",
			Attempt{Outcome: api.OutcomeWalltime, MaxAttempts: 2},
			RetryDecision{State: api.TaskPending, Failures: 1, Reason: "walltime exceeded; retrying (attempt 2 of 2)"}},
		{"could not start",
			Attempt{Outcome: api.OutcomeError, Error: `exec: "bogus": not found`, MaxAttempts: 1},
			RetryDecision{State: api.TaskFailed, Failures: 1, Reason: `could not start: exec: "bogus": not found`}},
		{"unknown outcome fails",
			Attempt{Outcome: "vanished", MaxAttempts: 1},
			RetryDecision{State: api.TaskFailed, Failures: 1, Reason: `unknown outcome "vanished"`}},
		{"first node loss keeps the failures",
			Attempt{NodeLost: true, Failures: 2, MaxAttempts: 3},
			RetryDecision{State: api.TaskPending, Failures: 2, NodeLosses: 1, Reason: "lost its node; retrying (node loss 1 of 3 allowed)"}},
		{"last allowed node loss",
			Attempt{NodeLost: true, NodeLosses: api.MaxNodeLosses - 1, MaxAttempts: 1},
			RetryDecision{State: api.TaskPending, NodeLosses: api.MaxNodeLosses, Reason: "lost its node; retrying (node loss 3 of 3 allowed)"}},
		{"one node loss too many",
			Attempt{NodeLost: true, NodeLosses: api.MaxNodeLosses, Outcome: api.OutcomeFailed, MaxAttempts: 5},
			RetryDecision{State: api.TaskFailed, NodeLosses: api.MaxNodeLosses + 1, Reason: "lost its node 4 times"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Retry(tt.in); got != tt.want {
				t.Errorf("Retry(%+v)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}
