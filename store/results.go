package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Task results and job logs: two tables that hang off jobs (their rows go
// with the job's, ON DELETE CASCADE).
//
//   - task_results: the result of each task's finished attempt (its JSON),
//     one row per task, written in the transaction that ends the task and
//     deleted when the task runs again.
//   - job_logs: the scheduler's own account of each job (placements,
//     waiting reasons, retries, controls), appended in the transaction of
//     the change each line describes.

// TaskResultRecord is one task's result.
type TaskResultRecord struct {
	TaskID int64
	JobID  int64
	Data   []byte // JSON
}

// JobLogRecord is one line of a job's server log.
type JobLogRecord struct {
	Seq     int64 // assigned by the store, increasing
	JobID   int64
	Time    time.Time
	Task    string // "" for the job as a whole
	Attempt int    // 0 when not about an attempt
	Message string
}

// taskResultModel is a row of the task_results table.
type taskResultModel struct {
	TaskID int64  `gorm:"primaryKey;autoIncrement:false"`
	JobID  int64  `gorm:"not null;index:idx_task_results_job"`
	Data   []byte `gorm:"not null"`

	// Job declares the foreign key task_results.job_id → jobs.id (never
	// loaded or saved).
	Job *jobModel `gorm:"foreignKey:JobID;constraint:OnDelete:CASCADE"`
}

func (taskResultModel) TableName() string { return "task_results" }

// jobLogModel is a row of the job_logs table.
type jobLogModel struct {
	Seq     int64     `gorm:"primaryKey;autoIncrement"`
	JobID   int64     `gorm:"not null;index:idx_job_logs_job"`
	Time    time.Time `gorm:"not null"`
	Task    string    `gorm:"not null"`
	Attempt int       `gorm:"not null"`
	Message string    `gorm:"not null"`

	Job *jobModel `gorm:"foreignKey:JobID;constraint:OnDelete:CASCADE"`
}

func (jobLogModel) TableName() string { return "job_logs" }

var (
	taskResultsTable = newUpsertTable("task_results", "task_id", "task_id", "job_id", "data")
	// jobLogsTable is insert-only: Seq is the store's, so there is no
	// conflict to resolve.
	jobLogsTable = newInsertTable("job_logs", "job_id", "time", "task", "attempt", "message")
)

// newInsertTable is an upsertTable without a conflict clause, for rows
// that are only ever appended.
func newInsertTable(name string, columns ...string) *upsertTable {
	return &upsertTable{name: name, columns: columns,
		head: "INSERT INTO " + name + " (" + strings.Join(columns, ", ") + ") VALUES "}
}

func (m *taskResultModel) args(dst []any) []any { return append(dst, m.TaskID, m.JobID, m.Data) }

func (m *jobLogModel) args(dst []any) []any {
	return append(dst, m.JobID, m.Time, m.Task, int64(m.Attempt), m.Message)
}

// mergedResults is the part of merged that writes results and logs: result
// upserts by task (a later one wins), deletions, and log lines in order.
type mergedResults struct {
	results keyed[int64, taskResultModel] // by task ID
	logs    []jobLogModel
}

func (m *mergedResults) add(mu *Mutation) {
	for _, r := range mu.TaskResults {
		data := r.Data
		if data == nil {
			data = []byte{}
		}
		m.results.upsert(r.TaskID, taskResultModel{TaskID: r.TaskID, JobID: r.JobID, Data: data})
	}
	for _, id := range mu.DeleteTaskResults {
		m.results.delete(id)
	}
	for _, l := range mu.JobLogs {
		m.logs = append(m.logs, jobLogModel{JobID: l.JobID, Time: utc(l.Time), Task: l.Task, Attempt: l.Attempt, Message: l.Message})
	}
}

func (m *mergedResults) empty() bool { return m.results.empty() && len(m.logs) == 0 }

// resultsPlan is the prepared statements of the results and logs.
type resultsPlan struct {
	results, logs []*sql.Stmt
}

// writeResults writes the results (upserts, then deletions) and appends
// the log lines. Called after the tasks, so the jobs exist.
func (t *txWriter) writeResults(ctx context.Context, m *mergedResults, p *resultsPlan) error {
	if err := upsertRows(ctx, t, p.results, m.results.rows, (*taskResultModel).args); err != nil {
		return fmt.Errorf("task results: %w", err)
	}
	if err := deleteRows(ctx, t, taskResultsTable, m.results.deletes); err != nil {
		return err
	}
	if err := upsertRows(ctx, t, p.logs, m.logs, (*jobLogModel).args); err != nil {
		return fmt.Errorf("job logs: %w", err)
	}
	return nil
}

// planResults prepares the statements of m.
func (w *sqlWriter) planResults(ctx context.Context, m *mergedResults) (p resultsPlan, err error) {
	if p.results, err = w.upserts(ctx, taskResultsTable, len(m.results.rows)); err != nil {
		return p, err
	}
	p.logs, err = w.upserts(ctx, jobLogsTable, len(m.logs))
	return p, err
}

// MaxJobLogLines is the most lines ListJobLogs returns.
const MaxJobLogLines = 10_000

// JobResults returns the results of a job's tasks, by task ID.
func (s *sqlStore) JobResults(ctx context.Context, jobID int64) ([]TaskResultRecord, error) {
	var rows []taskResultModel
	if err := s.r.WithContext(ctx).Where("job_id = ?", jobID).Order("task_id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: job %d results: %w", jobID, err)
	}
	return resultsFromModels(rows), nil
}

// ResultTasks returns the IDs of a job's tasks that have a result.
func (s *sqlStore) ResultTasks(ctx context.Context, jobID int64) ([]int64, error) {
	var ids []int64
	err := s.r.WithContext(ctx).Model(&taskResultModel{}).Where("job_id = ?", jobID).Order("task_id").Pluck("task_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: job %d result tasks: %w", jobID, err)
	}
	return ids, nil
}

// ActiveResults returns the results of the tasks of every non-terminal
// job, by task ID.
func (s *sqlStore) ActiveResults(ctx context.Context) ([]TaskResultRecord, error) {
	var rows []taskResultModel
	err := s.r.WithContext(ctx).Joins("JOIN jobs ON jobs.id = task_results.job_id").
		Where("jobs.state NOT IN ?", terminalJobStates).Order("task_results.task_id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: active results: %w", err)
	}
	return resultsFromModels(rows), nil
}

func resultsFromModels(rows []taskResultModel) []TaskResultRecord {
	out := make([]TaskResultRecord, len(rows))
	for i, r := range rows {
		out[i] = TaskResultRecord{TaskID: r.TaskID, JobID: r.JobID, Data: r.Data}
	}
	return out
}

// ListJobLogs returns a job's server log lines with Seq > after, oldest
// first, at most MaxJobLogLines.
func (s *sqlStore) ListJobLogs(ctx context.Context, jobID, after int64) ([]JobLogRecord, error) {
	var rows []jobLogModel
	err := s.r.WithContext(ctx).Where("job_id = ? AND seq > ?", jobID, after).Order("seq").
		Limit(MaxJobLogLines).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: job %d logs: %w", jobID, err)
	}
	out := make([]JobLogRecord, len(rows))
	for i, r := range rows {
		out[i] = JobLogRecord{Seq: r.Seq, JobID: r.JobID, Time: utc(r.Time), Task: r.Task, Attempt: r.Attempt, Message: r.Message}
	}
	return out, nil
}
