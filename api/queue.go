package api

// Queue is one of the scheduler's queues as GET /api/v1/queues shows it:
// its configuration (server config key queues) and its state now.
type Queue struct {
	Name string `json:"name"`
	// Weight is the queue's share against the other queues at equal
	// priority.
	Weight float64 `json:"weight"`
	// Policy is "fifo" or "backfill".
	Policy     string `json:"policy"`
	Preemption bool   `json:"preemption,omitempty"`
	// Quotas; 0 means no limit.
	MaxRunning        int     `json:"max_running,omitempty"`
	MaxCPUs           float64 `json:"max_cpus,omitempty"`
	MaxRunningPerUser int     `json:"max_running_per_user,omitempty"`
	MaxCPUsPerUser    float64 `json:"max_cpus_per_user,omitempty"`
	// Pending counts the tasks ready to start that wait in the queue;
	// Running the attempts running, and RunningCPUs the CPUs they hold
	// (on every node of a multi-node task).
	Pending     int     `json:"pending"`
	Running     int     `json:"running"`
	RunningCPUs float64 `json:"running_cpus"`
	// Usage is the queue's fair-share usage: CPU-seconds of attempts that
	// ended, decayed with the server's fair_share_half_life.
	Usage float64 `json:"usage"`
	// Users are the users with tasks or usage in the queue (for a user
	// who is not an admin: only themself), by name.
	Users []QueueUser `json:"users,omitempty"`
}

// QueueUser is one user's part of a queue.
type QueueUser struct {
	Name        string  `json:"name"`
	Pending     int     `json:"pending"`
	Running     int     `json:"running"`
	RunningCPUs float64 `json:"running_cpus"`
	// Usage is the user's fair-share usage in the queue (CPU-seconds,
	// decayed) and Share its part of the queue's usage, 0 to 1: between
	// users of one priority, the lower share goes first.
	Usage float64 `json:"usage"`
	Share float64 `json:"share"`
}
