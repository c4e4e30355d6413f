package scheduler

import (
	"cmp"
	"slices"
)

// Less reports whether a comes before b in the queue: higher Priority
// first, then lower JobID (jobs run in submission order), then lower Index
// (document order within a job), then lower TaskID.
func Less(a, b QueuedTask) bool { return compareQueued(a, b) < 0 }

// compareQueued is Less as a three-way comparison.
func compareQueued(a, b QueuedTask) int { return Compare(&a, &b) }

// Compare is Less as a three-way comparison on pointers, for callers that
// keep their own queues of tasks (QueuedTask is large to copy).
func Compare(a, b *QueuedTask) int {
	if a.Priority != b.Priority {
		return cmp.Compare(b.Priority, a.Priority)
	}
	if c := cmp.Compare(a.JobID, b.JobID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Index, b.Index); c != 0 {
		return c
	}
	return cmp.Compare(a.TaskID, b.TaskID)
}

// ordered returns q in Less order without modifying it: q itself when it
// is already ordered (checked in O(n)), else a sorted copy.
func ordered(q []QueuedTask) []QueuedTask {
	if slices.IsSortedFunc(q, compareQueued) {
		return q
	}
	out := slices.Clone(q)
	slices.SortFunc(out, compareQueued)
	return out
}
