package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/shrike-grid/shrike/store"
)

// Options tells Run how to reach the implementation under test.
type Options struct {
	// Open returns a new, empty store that no other test shares. The suite
	// closes it; Open registers any other cleanup (files, databases) with
	// t.Cleanup.
	Open func(t *testing.T) store.Store
	// Reopen opens again the database behind s, which the suite has just
	// closed, the way a restarted server would (same file, same database
	// URL). Nil skips the durability test.
	Reopen func(t *testing.T, s store.Store) store.Store
}

// Run runs the contract suite, each case as a subtest on a store of its own.
func Run(t *testing.T, opts Options) {
	if opts.Open == nil {
		t.Fatalf("storetest: Options.Open is nil")
	}
	cases := []struct {
		name string
		fn   func(t *testing.T, o Options)
	}{
		{"JobRoundTrip", testJobRoundTrip},
		{"TaskRoundTrip", testTaskRoundTrip},
		{"NodeRoundTrip", testNodeRoundTrip},
		{"UpsertOverwrites", testUpsertOverwrites},
		{"LaterWriteWinsInOneApply", testLaterWriteWins},
		{"JobStates", testJobStates},
		{"JobStatesUnknownJob", testJobStatesUnknownJob},
		{"EmptyApply", testEmptyApply},
		{"ManyRowsInOneApply", testManyRows},
		{"ConcurrentApply", testConcurrentApply},
		{"MaxIDs", testMaxIDs},
		{"HeldTaskIDs", testHeldTaskIDs},
		{"LoadActive", testLoadActive},
		{"GetJob", testGetJob},
		{"ListJobs", testListJobs},
		{"ListJobsLimits", testListJobsLimits},
		{"JobParents", testJobParents},
		{"TaskCounts", testTaskCounts},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"AtomicDuplicateTaskIndex", testAtomicDuplicateIndex},
		{"AtomicTaskWithoutJob", testAtomicTaskWithoutJob},
		{"CancelledApplyWritesNothing", testCancelledApply},
		{"DurableAcrossReopen", testDurable},
		{"DeleteNodes", testDeleteNodes},
		{"NodeEvents", testNodeEvents},
		{"RMSamples", testRMSamples},
		{"UserUpserts", testUserUpserts},
		{"Sources", testSources},
		{"EnrollTokens", testEnrollTokens},
		{"EnrollTokenHashUnique", testEnrollTokenHashUnique},
		{"Credentials", testCredentials},
		{"DeleteSourceKeepsRows", testDeleteSourceKeepsRows},
		{"SourcesInOneApply", testSourcesInOneApply},
		{"TaskResults", testTaskResults},
		{"JobLogs", testJobLogs},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, opts) })
	}
}

// open returns a fresh store closed at the end of the test.
func open(t *testing.T, o Options) store.Store {
	t.Helper()
	s := o.Open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// apply applies muts and fails the test on error.
func apply(t *testing.T, s store.Store, muts ...store.Mutation) {
	t.Helper()
	if err := s.Apply(context.Background(), muts...); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// getJob reads a job that must exist.
func getJob(t *testing.T, s store.Store, id int64) (store.JobRecord, []store.TaskRecord) {
	t.Helper()
	j, ts, err := s.GetJob(context.Background(), id)
	if err != nil {
		t.Fatalf("GetJob(%d): %v", id, err)
	}
	return j, ts
}

// check compares got with want and reports a mismatch as JSON, which shows
// pointers' values and times' zones.
// Empty and nil slices are equal.
func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if g, w := reflect.ValueOf(got), reflect.ValueOf(want); g.Kind() == reflect.Slice && w.Kind() == reflect.Slice &&
		g.Len() == 0 && w.Len() == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// ids lists the IDs of jobs, in order.
func ids(jobs []store.JobRecord) []int64 {
	out := make([]int64, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

// taskKeys lists (job ID, index) of tasks, in order.
func taskKeys(tasks []store.TaskRecord) [][2]int64 {
	out := make([][2]int64, len(tasks))
	for i, t := range tasks {
		out[i] = [2]int64{t.JobID, int64(t.Index)}
	}
	return out
}
