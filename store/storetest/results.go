package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/shrike-grid/shrike/store"
)

// testTaskResults: results round-trip by job, a later write of a task's
// result replaces it, a deletion removes it, ActiveResults keeps only
// non-terminal jobs' results.
func testTaskResults(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	apply(t, s, store.Mutation{
		Jobs:  []store.JobRecord{job(1, "alice", "RUNNING"), job(2, "bob", "FINISHED")},
		Tasks: []store.TaskRecord{task(10, 1, 0, "FINISHED"), task(11, 1, 1, "FINISHED"), task(20, 2, 0, "FINISHED")},
		TaskResults: []store.TaskResultRecord{
			{TaskID: 10, JobID: 1, Data: []byte(`{"a":1}`)},
			{TaskID: 11, JobID: 1, Data: []byte(`"old"`)},
			{TaskID: 20, JobID: 2, Data: []byte(`[1,2]`)},
		},
	})
	apply(t, s, store.Mutation{TaskResults: []store.TaskResultRecord{{TaskID: 11, JobID: 1, Data: []byte(`"new"`)}}})
	got, err := s.JobResults(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "job 1 results", got, []store.TaskResultRecord{
		{TaskID: 10, JobID: 1, Data: []byte(`{"a":1}`)}, {TaskID: 11, JobID: 1, Data: []byte(`"new"`)},
	})
	active, err := s.ActiveResults(ctx)
	if err != nil || len(active) != 2 || active[0].TaskID != 10 || active[1].TaskID != 11 {
		t.Errorf("active results: %+v, %v", active, err)
	}
	if ids, err := s.ResultTasks(ctx, 1); err != nil || len(ids) != 2 || ids[0] != 10 || ids[1] != 11 {
		t.Errorf("result tasks of job 1: %v, %v", ids, err)
	}
	apply(t, s, store.Mutation{DeleteTaskResults: []int64{10, 99}})
	got, _ = s.JobResults(ctx, 1)
	check(t, "job 1 results after a deletion", got, []store.TaskResultRecord{{TaskID: 11, JobID: 1, Data: []byte(`"new"`)}})
	// A result and its deletion in one Apply: the deletion wins.
	apply(t, s, store.Mutation{TaskResults: []store.TaskResultRecord{{TaskID: 20, JobID: 2, Data: []byte(`3`)}}, DeleteTaskResults: []int64{20}})
	if got, _ = s.JobResults(ctx, 2); len(got) != 0 {
		t.Errorf("job 2 results after upsert+delete: %+v", got)
	}
}

// testJobLogs: lines are appended in order with increasing Seq, per job,
// and After pages.
func testJobLogs(t *testing.T, o Options) {
	s := open(t, o)
	ctx := context.Background()
	apply(t, s, store.Mutation{Jobs: []store.JobRecord{job(1, "alice", "RUNNING"), job(2, "bob", "RUNNING")}})
	var want []store.JobLogRecord
	for i := range 6 {
		l := store.JobLogRecord{JobID: int64(1 + i%2), Time: at(i), Task: fmt.Sprintf("t%d", i), Attempt: i, Message: fmt.Sprintf("line %d", i)}
		if l.JobID == 1 {
			want = append(want, l)
		}
		apply(t, s, store.Mutation{JobLogs: []store.JobLogRecord{l}})
	}
	got, err := s.ListJobLogs(ctx, 1, 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("job 1 logs: %+v, %v", got, err)
	}
	for i, l := range got {
		w := want[i]
		w.Seq, w.Time = l.Seq, utc(w.Time)
		check(t, fmt.Sprintf("line %d", i), l, w)
		if i > 0 && l.Seq <= got[i-1].Seq {
			t.Errorf("Seq not increasing: %d after %d", l.Seq, got[i-1].Seq)
		}
	}
	after, _ := s.ListJobLogs(ctx, 1, got[0].Seq)
	if len(after) != 2 || after[0].Seq != got[1].Seq {
		t.Errorf("after %d: %+v", got[0].Seq, after)
	}
	// Many lines in one Apply keep their order.
	var many []store.JobLogRecord
	for i := range 700 {
		many = append(many, store.JobLogRecord{JobID: 2, Time: at(i), Message: fmt.Sprintf("m%d", i)})
	}
	apply(t, s, store.Mutation{JobLogs: many})
	lines, _ := s.ListJobLogs(ctx, 2, 0)
	if len(lines) != 703 || lines[3].Message != "m0" || lines[702].Message != "m699" {
		t.Errorf("job 2: %d lines, want 703 in order", len(lines))
	}
}
