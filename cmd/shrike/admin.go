package main

import "context"

// adminCommand dispatches `shrike admin ...`.
func adminCommand(ctx context.Context, e *env, args []string) error {
	return runGroup(ctx, e, "shrike admin", []command{
		{"user", "add and list user accounts", adminUserCommand},
		{"scheduler", "show or change the scheduler's state (start, stop, pause, freeze, resume, kill), stats", cmdAdminScheduler},
	}, args)
}

// adminUserCommand dispatches `shrike admin user ...`.
func adminUserCommand(ctx context.Context, e *env, args []string) error {
	return runGroup(ctx, e, "shrike admin user", []command{
		{"add", "create a user account", cmdAdminUserAdd},
		{"ls", "list user accounts", cmdAdminUserLs},
	}, args)
}
