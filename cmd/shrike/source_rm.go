package main

import (
	"context"
	"fmt"

	"github.com/shrike-grid/shrike/api"
)

// cmdSourceRm is `shrike source rm`.
func cmdSourceRm(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "source rm", "NAME [--preempt]",
		"Delete a node source (its admins): it is undeployed, its nodes leave and its\n"+
			"enrollment tokens stop working. A source whose nodes still run tasks is\n"+
			"refused unless --preempt, which kills the tasks and queues them again;\n"+
			"undeploy it first to let them finish.",
		"shrike source undeploy lab; shrike source rm lab")
	server := serverFlag(fs)
	preempt := fs.Bool("preempt", false, "delete it even if its nodes run tasks; they are queued again")
	name, c, err := sourceTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	if err = c.DeleteSource(ctx, name, *preempt); err != nil {
		if !*preempt && api.IsCode(err, api.CodeConflict) {
			return fmt.Errorf("%w\n(add --preempt to delete it now; its tasks go back to the scheduler)", err)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "Deleted node source %s.\n", name)
	return nil
}
