package api

// TaskAction is a control applied to one task of a job
// (POST /api/v1/jobs/{id}/tasks/{task}/{action}).
type TaskAction string

// Task controls. Kill: a PENDING or IN_ERROR task is KILLED at once, a
// RUNNING one is stopped on its node; its dependents are skipped.
// Restart: a FAILED, KILLED or IN_ERROR task is PENDING again with a
// fresh attempt budget. Preempt: a RUNNING task is stopped and queued
// again without counting the attempt. Finish: a PENDING, FAILED, KILLED
// or IN_ERROR task is marked FINISHED so that its dependents may run.
const (
	TaskKill    TaskAction = "kill"
	TaskRestart TaskAction = "restart"
	TaskPreempt TaskAction = "preempt"
	TaskFinish  TaskAction = "finish"
)

// TaskActions lists the task controls.
func TaskActions() []TaskAction { return []TaskAction{TaskKill, TaskRestart, TaskPreempt, TaskFinish} }

// ControlRequest is the optional body of a job or task control: a reason
// recorded in the task events.
type ControlRequest struct {
	Reason string `json:"reason,omitempty"`
}
