package store

import (
	"fmt"

	"gorm.io/gorm"
)

// legacySource is the node source of every node stored before node
// sources existed: they all joined with the server's own token, which is
// the "default" source.
const legacySource = "default"

// migrate creates the schema, or brings an older one up to date, in one
// transaction: gorm's AutoMigrate creates the missing tables, columns and
// indexes, then the columns added to tables with rows are filled where
// their zero value is not right:
//
//   - nodes.source: nodes stored before the column joined with the
//     server's token, so their source is legacySource. Only when the column
//     is new: later a node's source is whatever Apply wrote.
//   - nodes.state_since: when an old node entered its state is unknown; its
//     last_seen is used, so a node is never taken to have been idle longer
//     than it was seen.
//   - jobs.first_task_id and jobs.task_count: every task of an older job
//     has its row, so they are the lowest ID and the number of its rows.
//
// Users older than the groups column have it empty, which is no groups.
func migrate(db *gorm.DB) error {
	return db.Transaction(func(tx *gorm.DB) error {
		mig := tx.Migrator()
		newSource := mig.HasTable(&nodeModel{}) && !mig.HasColumn(&nodeModel{}, "source")
		newTaskCount := mig.HasTable(&jobModel{}) && !mig.HasColumn(&jobModel{}, "task_count")
		if err := tx.AutoMigrate(allModels()...); err != nil {
			return err
		}
		if newSource {
			if err := tx.Exec("UPDATE nodes SET source = ?", legacySource).Error; err != nil {
				return fmt.Errorf("fill nodes.source: %w", err)
			}
		}
		if err := tx.Exec("UPDATE nodes SET state_since = last_seen WHERE state_since IS NULL").Error; err != nil {
			return fmt.Errorf("fill nodes.state_since: %w", err)
		}
		if newTaskCount {
			err := tx.Exec("UPDATE jobs SET first_task_id = COALESCE((SELECT MIN(id) FROM tasks WHERE tasks.job_id = jobs.id), 0), " +
				"task_count = (SELECT COUNT(*) FROM tasks WHERE tasks.job_id = jobs.id)").Error
			if err != nil {
				return fmt.Errorf("fill jobs.task_count: %w", err)
			}
		}
		return nil
	})
}
