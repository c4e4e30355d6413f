package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// cmdJobShow is `shrike job show`.
func cmdJobShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job show", "ID [--tasks] [--json]",
		"Show a job (with its parent and sub-jobs, the jobs it waits for and its\n"+
			"start time when set) and the state, attempt, node and exit code of each\n"+
			"task, then why each waiting task waits. An array (replicate) is\n"+
			"summarised in one row, its instances counted by state; --tasks lists\n"+
			"every instance.",
		"shrike job show --tasks 42")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the job as JSON")
	all := fs.Bool("tasks", false, "list every instance of the job's arrays")
	id, c, err := jobTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	job, err := c.GetJob(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, job)
	}
	printJob(e, job, *all)
	return nil
}

// printJob writes a job's header and task table; unless all, an array's
// instances are one row.
func printJob(e *env, job api.Job, all bool) {
	done, total := taskProgress(job)
	head := newTable(e.stdout, "ID:", strconv.FormatInt(job.ID, 10))
	row(head, "Name:", job.Name)
	row(head, "State:", job.State)
	row(head, "Owner:", job.Owner)
	row(head, "Priority:", job.Priority)
	if job.Queue != "" {
		row(head, "Queue:", job.Queue)
	}
	row(head, "Tasks:", fmt.Sprintf("%d/%d over", done, total))
	row(head, "Submitted:", fmtTime(&job.SubmittedAt))
	row(head, "Finished:", fmtTime(job.FinishedAt))
	row(head, "Variables:", fmtVars(job.Variables))
	if job.Parent != 0 {
		row(head, "Parent:", job.Parent)
	}
	if len(job.Children) > 0 {
		row(head, "Children:", fmtIDs(job.Children))
	}
	if len(job.DependsOnJobs) > 0 {
		row(head, "After jobs:", fmtIDs(job.DependsOnJobs))
	}
	if job.StartAt != nil {
		row(head, "Start at:", fmtTime(job.StartAt))
	}
	_ = head.Flush()
	fmt.Fprintln(e.stdout)
	tw := newTable(e.stdout, "TASK", "STATE", "ATTEMPT", "NODE", "EXIT", "STARTED", "FINISHED", "ERROR")
	groups := groupTasks(job.Tasks, all)
	for _, g := range groups {
		if g.array != "" {
			row(tw, fmt.Sprintf("%s[0..%d]", g.array, len(g.tasks)-1), countStates(g.tasks), "-", "-", "-", "-", "-", "-")
			continue
		}
		t := g.tasks[0]
		exit := "-"
		if t.ExitCode != nil {
			exit = strconv.Itoa(*t.ExitCode)
		}
		row(tw, t.Name, t.State, t.Attempt, orDash(t.Node), exit, fmtTime(t.StartedAt), fmtTime(t.FinishedAt), orDash(t.Error))
	}
	_ = tw.Flush()
	printWaiting(e, groups)
	printResultNames(e, job)
}

// taskGroup is one row of the task table: a task, or an array's
// instances (array is the array's name).
type taskGroup struct {
	array string
	tasks []api.Task
}

// groupTasks gathers consecutive instances of one array ("name[i]": no
// task name has brackets) unless all.
func groupTasks(tasks []api.Task, all bool) []taskGroup {
	var out []taskGroup
	for _, t := range tasks {
		name, ok := arrayOf(t.Name)
		if all || !ok {
			out = append(out, taskGroup{tasks: []api.Task{t}})
			continue
		}
		if n := len(out); n > 0 && out[n-1].array == name {
			out[n-1].tasks = append(out[n-1].tasks, t)
			continue
		}
		out = append(out, taskGroup{array: name, tasks: []api.Task{t}})
	}
	return out
}

// arrayOf returns the array an instance name ("name[i]") belongs to.
func arrayOf(task string) (string, bool) {
	i := strings.IndexByte(task, '[')
	if i <= 0 || !strings.HasSuffix(task, "]") {
		return "", false
	}
	return task[:i], true
}

// countStates writes how many tasks are in each state: "3 RUNNING, 97
// PENDING", most first.
func countStates(tasks []api.Task) string {
	counts := map[api.TaskState]int{}
	for _, t := range tasks {
		counts[t.State]++
	}
	states := make([]api.TaskState, 0, len(counts))
	for st := range counts {
		states = append(states, st)
	}
	sort.Slice(states, func(i, j int) bool {
		if counts[states[i]] != counts[states[j]] {
			return counts[states[i]] > counts[states[j]]
		}
		return states[i] < states[j]
	})
	parts := make([]string, len(states))
	for i, st := range states {
		parts[i] = fmt.Sprintf("%d %s", counts[st], st)
	}
	return strings.Join(parts, ", ")
}

// printWaiting explains, for each task waiting for a node, why none took
// it; for an array's row, once, for its first waiting instance.
func printWaiting(e *env, groups []taskGroup) {
	for _, g := range groups {
		waiting := 0
		var first *api.Task
		for i := range g.tasks {
			if len(g.tasks[i].WaitingReasons) > 0 {
				waiting++
				if first == nil {
					first = &g.tasks[i]
				}
			}
		}
		if first == nil {
			continue
		}
		if g.array != "" {
			fmt.Fprintf(e.stdout, "\nWhy %d instances of %s are waiting (%s):\n", waiting, g.array, first.Name)
		} else {
			fmt.Fprintf(e.stdout, "\nWhy task %s is waiting:\n", first.Name)
		}
		for _, r := range first.WaitingReasons {
			if r.Count == 0 { // the job's own reason (paused, held), not nodes'
				fmt.Fprintf(e.stdout, "  %s\n", r.Message)
				continue
			}
			noun := "nodes"
			if r.Count == 1 {
				noun = "node"
			}
			fmt.Fprintf(e.stdout, "  %d %s: %s\n", r.Count, noun, r.Message)
		}
	}
}

// fmtIDs writes job ids as "12, 13".
func fmtIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}
