package main

import "context"

// scriptCommand dispatches `shrike script ...`.
func scriptCommand(ctx context.Context, e *env, args []string) error {
	return runGroup(ctx, e, "shrike script", []command{
		{"test", "evaluate a selection script against a live node (admins)", cmdScriptTest},
		{"ls", "list the shipped selection scripts", cmdScriptLs},
		{"show", "print a shipped selection script", cmdScriptShow},
	}, args)
}
