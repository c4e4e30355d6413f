package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// cmdJobResult is `shrike job result`.
func cmdJobResult(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job result", "ID [TASK] [--raw]",
		"Print the results of a job's tasks as JSON ({\"task\": result, ...}; tasks\n"+
			"without a result are left out), or one task's result. A task's result is\n"+
			"its Lua script's return value, or what it wrote to the file $SHRIKE_RESULT.\n"+
			"With --raw, a task's result is printed on one line, and a string without\n"+
			"its quotes (for shell scripts).",
		"shrike job result 42 build --raw")
	server := serverFlag(fs)
	raw := fs.Bool("raw", false, "print compact JSON, and a string result as its text")
	pos, err := parseArgs(fs, args, -1)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageErrorf("job result: want ID [TASK], got %d argument(s) (run 'shrike job result -h')", len(pos))
	}
	id, err := parseJobID(pos[0])
	if err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		results, err := c.JobResults(ctx, id)
		if err != nil {
			return err
		}
		if *raw {
			data, err := json.Marshal(results)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(e.stdout, string(data))
			return err
		}
		return printJSON(e.stdout, results)
	}
	result, err := c.TaskResult(ctx, id, pos[1])
	if err != nil {
		return err
	}
	if *raw {
		var s string
		if json.Unmarshal(result, &s) == nil {
			_, err = fmt.Fprintln(e.stdout, s)
			return err
		}
		var b bytes.Buffer
		if err := json.Compact(&b, result); err != nil {
			return fmt.Errorf("the result of task %s is not JSON: %w", pos[1], err)
		}
		_, err = fmt.Fprintln(e.stdout, b.String())
		return err
	}
	// Indented as it is: decoding it would reorder its keys and round
	// large integers.
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(result), "", "  "); err != nil {
		return fmt.Errorf("the result of task %s is not JSON: %w", pos[1], err)
	}
	b.WriteByte('\n')
	_, err = e.stdout.Write(b.Bytes())
	return err
}

// printResultNames names the tasks that have a result, under a job's
// task table.
func printResultNames(e *env, job api.Job) {
	var names []string
	for _, t := range job.Tasks {
		if t.HasResult {
			names = append(names, t.Name)
		}
	}
	if len(names) > 0 {
		fmt.Fprintf(e.stdout, "\nResults: %s (shrike job result %d)\n", strings.Join(names, ", "), job.ID)
	}
}
