package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// TestJobLogsFollowWakesOnEvents: `job logs -f` prints what exists, then
// the job's next event (not a poll: the fallback interval is an hour
// here) makes it read the rest, and it ends with the attempt.
func TestJobLogsFollowWakesOnEvents(t *testing.T) {
	defer func(d time.Duration) { api.LogFollowPoll = d }(api.LogFollowPoll)
	api.LogFollowPoll = time.Hour
	c := newCLI(t)
	id := c.submitAsAlice("f")
	c.fake.AppendLog(id, "say", "first\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- c.runTo(ctx, &out, &errOut, "job", "logs", "-f", "1", "say") }()
	waitFor(t, "the first line", func() bool { return out.String() == "first\n" })
	c.fake.AppendLog(id, "say", "second\n")
	c.fake.EndLog(id, "say")
	c.fake.PublishEvent(api.Event{Kind: "task", JobID: id, Task: "say", State: string(api.TaskFinished)})
	select {
	case code := <-done:
		if code != exitOK || out.String() != "first\nsecond\n" {
			t.Errorf("exit %d, output %q, stderr %q", code, out.String(), errOut.String())
		}
	case <-ctx.Done():
		t.Fatalf("logs -f did not end; output %q", out.String())
	}
	if strings.Contains(errOut.String(), "error") {
		t.Errorf("stderr %q", errOut.String())
	}
}
