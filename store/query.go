package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/shrike-grid/shrike/api"
)

// ListJobs page sizes.
const (
	DefaultJobLimit = 50
	MaxJobLimit     = 1000
)

// terminalJobStates are the job states LoadActive leaves out: those for
// which api.JobState.Terminal is true.
var terminalJobStates = []string{string(api.JobFinished), string(api.JobFailed), string(api.JobKilled)}

// sqlStore is the implementation of Store shared by the SQL back ends.
// Writes go through w, reads through r; the two may be the same pool. Apply
// bypasses gorm: it runs its own prepared statements on w's pool (wr,
// write.go).
type sqlStore struct {
	w  *gorm.DB
	r  *gorm.DB
	wr *sqlWriter
}

// readTx runs fn in a read-only transaction on the read pool, so the
// queries of one call see one snapshot.
func (s *sqlStore) readTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.r.WithContext(ctx).Transaction(fn)
}

// MaxIDs returns the highest job and task IDs stored (0 when empty).
func (s *sqlStore) MaxIDs(ctx context.Context) (jobID, taskID int64, err error) {
	err = s.readTx(ctx, func(tx *gorm.DB) error {
		if jerr := tx.Model(&jobModel{}).Select("COALESCE(MAX(id), 0)").Scan(&jobID).Error; jerr != nil {
			return jerr
		}
		if terr := tx.Model(&taskModel{}).Select("COALESCE(MAX(id), 0)").Scan(&taskID).Error; terr != nil {
			return terr
		}
		// IDs held for rows not written yet are taken too.
		var held int64
		if herr := tx.Model(&jobModel{}).Where("task_count > 0").
			Select("COALESCE(MAX(first_task_id + task_count - 1), 0)").Scan(&held).Error; herr != nil {
			return herr
		}
		taskID = max(taskID, held)
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: max ids: %w", err)
	}
	return jobID, taskID, nil
}

// LoadActive returns every job whose state is not terminal (FINISHED, FAILED,
// KILLED), by ID, and all their tasks, by job ID then index.
func (s *sqlStore) LoadActive(ctx context.Context) ([]JobRecord, []TaskRecord, error) {
	var jobs []jobModel
	var tasks []taskModel
	err := s.readTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("state NOT IN ?", terminalJobStates).Order("id").Find(&jobs).Error; err != nil {
			return err
		}
		return tx.Joins("JOIN jobs ON jobs.id = tasks.job_id").
			Where("jobs.state NOT IN ?", terminalJobStates).
			Order("tasks.job_id, tasks.idx").Find(&tasks).Error
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: load active: %w", err)
	}
	out := make([]JobRecord, len(jobs))
	for i, j := range jobs {
		out[i] = jobFromModel(j)
	}
	return out, tasksFromModels(tasks), nil
}

// GetJob returns one job and its tasks by index, or an error wrapping
// ErrNotFound.
func (s *sqlStore) GetJob(ctx context.Context, id int64) (JobRecord, []TaskRecord, error) {
	var job jobModel
	var tasks []taskModel
	err := s.readTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Take(&job).Error; err != nil {
			return err
		}
		return tx.Where("job_id = ?", id).Order("idx").Find(&tasks).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return JobRecord{}, nil, fmt.Errorf("store: job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return JobRecord{}, nil, fmt.Errorf("store: get job %d: %w", id, err)
	}
	return jobFromModel(job), tasksFromModels(tasks), nil
}

// ListJobs returns a page of jobs, newest (highest ID) first, and how many
// jobs match in all. Limit 0 means DefaultJobLimit; larger than MaxJobLimit
// means MaxJobLimit. A negative offset or limit is an error.
func (s *sqlStore) ListJobs(ctx context.Context, q JobQuery) ([]JobRecord, int, error) {
	if q.Offset < 0 || q.Limit < 0 {
		return nil, 0, fmt.Errorf("store: list jobs: negative offset (%d) or limit (%d)", q.Offset, q.Limit)
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultJobLimit
	case limit > MaxJobLimit:
		limit = MaxJobLimit
	}
	filter := func(tx *gorm.DB) *gorm.DB {
		tx = tx.Model(&jobModel{})
		if q.Owner != "" {
			tx = tx.Where("owner = ?", q.Owner)
		}
		if len(q.States) > 0 {
			tx = tx.Where("state IN ?", q.States)
		}
		if q.IDs != nil {
			if len(q.IDs) == 0 {
				return tx.Where("1 = 0")
			}
			tx = tx.Where("id IN ?", q.IDs)
		}
		if q.Parent != 0 {
			tx = tx.Where("parent = ?", q.Parent)
		}
		return tx
	}
	var jobs []jobModel
	var total int64
	err := s.readTx(ctx, func(tx *gorm.DB) error {
		if err := filter(tx).Count(&total).Error; err != nil {
			return err
		}
		return filter(tx).Order("id DESC").Offset(q.Offset).Limit(limit).Find(&jobs).Error
	})
	if err != nil {
		return nil, 0, fmt.Errorf("store: list jobs: %w", err)
	}
	out := make([]JobRecord, len(jobs))
	for i, j := range jobs {
		out[i] = jobFromModel(j)
	}
	return out, int(total), nil
}

// JobParents returns child → parent for every job with a parent.
func (s *sqlStore) JobParents(ctx context.Context) (map[int64]int64, error) {
	var rows []struct {
		ID     int64
		Parent int64
	}
	if err := s.r.WithContext(ctx).Model(&jobModel{}).Select("id, parent").Where("parent <> 0").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: job parents: %w", err)
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Parent
	}
	return out, nil
}

// countChunk bounds the IDs of one TaskCounts query, to stay under the bind
// parameter limits; a ListJobs page (at most MaxJobLimit) takes one query.
const countChunk = 5000

// TaskCounts returns, per job, how many tasks are in each state, with one
// GROUP BY query per countChunk IDs; the rows a job holds (TaskCount) but
// has not written count as PENDING. Jobs without tasks (or unknown) are
// absent from the map; reading their counts yields zeros.
func (s *sqlStore) TaskCounts(ctx context.Context, jobIDs []int64) (map[int64]map[string]int, error) {
	out := make(map[int64]map[string]int)
	for len(jobIDs) > 0 {
		chunk := jobIDs[:min(len(jobIDs), countChunk)]
		jobIDs = jobIDs[len(chunk):]
		var rows []struct {
			JobID int64
			State string
			N     int
		}
		err := s.r.WithContext(ctx).Model(&taskModel{}).
			Select("job_id, state, COUNT(*) AS n").
			Where("job_id IN ?", chunk).
			Group("job_id, state").
			Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("store: task counts: %w", err)
		}
		written := make(map[int64]int, len(chunk))
		for _, r := range rows {
			if out[r.JobID] == nil {
				out[r.JobID] = make(map[string]int)
			}
			out[r.JobID][r.State] = r.N
			written[r.JobID] += r.N
		}
		var held []struct {
			ID        int64
			TaskCount int
		}
		err = s.r.WithContext(ctx).Model(&jobModel{}).Select("id, task_count").
			Where("id IN ? AND task_count > 0", chunk).Scan(&held).Error
		if err != nil {
			return nil, fmt.Errorf("store: task counts: %w", err)
		}
		for _, h := range held {
			if missing := h.TaskCount - written[h.ID]; missing > 0 {
				if out[h.ID] == nil {
					out[h.ID] = make(map[string]int)
				}
				out[h.ID][string(api.TaskPending)] += missing
			}
		}
	}
	return out, nil
}

// ListNodes returns every known node, by name.
func (s *sqlStore) ListNodes(ctx context.Context) ([]NodeRecord, error) {
	var nodes []nodeModel
	if err := s.r.WithContext(ctx).Order("name").Find(&nodes).Error; err != nil {
		return nil, fmt.Errorf("store: list nodes: %w", err)
	}
	out := make([]NodeRecord, len(nodes))
	for i, n := range nodes {
		out[i] = nodeFromModel(n)
	}
	return out, nil
}

// ListNodeEvents returns node events matching q, oldest first.
func (s *sqlStore) ListNodeEvents(ctx context.Context, q NodeEventQuery) ([]NodeEventRecord, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	db := s.r.WithContext(ctx).Where("seq > ?", q.After)
	if q.Node != "" {
		db = db.Where("node = ?", q.Node)
	}
	order := "seq"
	if q.Newest {
		order = "seq DESC"
	}
	var rows []nodeEventModel
	if err := db.Order(order).Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list node events: %w", err)
	}
	if q.Newest {
		slices.Reverse(rows)
	}
	out := make([]NodeEventRecord, len(rows))
	for i, r := range rows {
		out[i] = nodeEventFromModel(r)
	}
	return out, nil
}

// ListRMSamples returns the samples taken at or after since, oldest first.
func (s *sqlStore) ListRMSamples(ctx context.Context, since time.Time) ([]RMSampleRecord, error) {
	var rows []rmSampleModel
	if err := s.r.WithContext(ctx).Where("time >= ?", utc(since)).Order("time").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list rm samples: %w", err)
	}
	out := make([]RMSampleRecord, len(rows))
	for i, r := range rows {
		out[i] = RMSampleRecord{Time: utc(r.Time), Free: r.Free, Busy: r.Busy, Down: r.Down}
	}
	return out, nil
}
