package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// shownNodes is how many eligible node names a task row shows.
const shownNodes = 5

// cmdJobExplain is `shrike job explain`.
func cmdJobExplain(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "job explain", "ID [--node NAME] [--json]",
		"Explain why a job's pending tasks wait: for each task, how many nodes could\n"+
			"run it now and why the others cannot, counted by reason. With --node, also\n"+
			"that node's verdict: whether the task fits there, every reason it does not,\n"+
			"and what each selection script said (and whether the verdict was cached,\n"+
			"is pending on the node, or is in back-off after a failure).",
		"shrike job explain 42 --node gpu-7")
	server := serverFlag(fs)
	node := fs.String("node", "", "also show this node's detailed verdict")
	asJSON := fs.Bool("json", false, "print the explanation as JSON")
	id, c, err := jobTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	if *node != "" {
		if _, err := parseNodeName(*node); err != nil {
			return err
		}
	}
	explain, err := c.ExplainJob(ctx, id, *node)
	if err != nil {
		return err
	}
	printWarnings(e, explain.Warnings)
	if *asJSON {
		return printJSON(e.stdout, explain)
	}
	if len(explain.Tasks) == 0 {
		fmt.Fprintf(e.stdout, "Job %d has no pending task.\n", id)
		return nil
	}
	printTaskExplains(e.stdout, explain.Tasks)
	for _, t := range explain.Tasks {
		if t.Node != nil {
			fmt.Fprintln(e.stdout)
			printNodeVerdict(e.stdout, t.Task, *t.Node)
		}
	}
	return nil
}

// printWarnings writes each warning on stderr.
func printWarnings(e *env, warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
}

// printTaskExplains writes one row per task: the nodes that could run it
// (how many, the first few names) and the reasons of the others, one
// reason a line.
func printTaskExplains(w io.Writer, tasks []api.TaskExplain) {
	tw := newTable(w, "TASK", "CAN RUN ON", "WHY NOT ON THE OTHERS")
	for _, t := range tasks {
		reasons := make([]string, len(t.Reasons))
		for i, r := range t.Reasons {
			reasons[i] = countedReason(r)
		}
		if len(reasons) == 0 {
			reasons = []string{"-"}
		}
		row(tw, t.Task, eligibleNodes(t), reasons[0])
		for _, r := range reasons[1:] {
			row(tw, "", "", r)
		}
	}
	_ = tw.Flush()
}

// eligibleNodes writes the nodes that could run a task: "no node", or
// "3 nodes: a, b, c" with at most shownNodes names.
func eligibleNodes(t api.TaskExplain) string {
	if t.Eligible == 0 {
		return "no node"
	}
	s := nodeCount(t.Eligible)
	if len(t.Nodes) == 0 {
		return s
	}
	names := t.Nodes[:min(len(t.Nodes), shownNodes)]
	s += ": " + strings.Join(names, ", ")
	if more := t.Eligible - len(names); more > 0 {
		s += fmt.Sprintf(" (+%s more)", fmtCount(more))
	}
	return s
}

// countedReason writes a reason with its count: "9,870 nodes: gpu.lua
// returned false"; a reason of no node in particular is its message.
func countedReason(r api.Reason) string {
	if r.Count <= 0 {
		return r.Message
	}
	return nodeCount(r.Count) + ": " + r.Message
}

// nodeCount writes "1 node" or "9,870 nodes".
func nodeCount(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmtCount(n) + " nodes"
}

// fmtCount writes n with thousands separators: 9870 is "9,870".
func fmtCount(n int) string {
	s := strconv.Itoa(n)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return sign + s
}

// printNodeVerdict writes one node's verdict for a task: whether it fits,
// every reason it does not, and each selection script's verdict.
func printNodeVerdict(w io.Writer, task string, v api.NodeVerdict) {
	if v.Fits {
		fmt.Fprintf(w, "Task %s on node %s: fits.\n", task, v.Node)
	} else {
		fmt.Fprintf(w, "Task %s on node %s: does not fit.\n", task, v.Node)
		for _, r := range v.Reasons {
			fmt.Fprintf(w, "  - %s\n", r)
		}
	}
	if len(v.Scripts) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := newTable(w, "  SCRIPT", "TYPE", "VERDICT", "REASON", "STATUS")
	for _, s := range v.Scripts {
		row(tw, "  "+s.Script, orDash(s.Type), scriptVerdictWord(s), orDash(s.Reason), scriptStatus(s))
	}
	_ = tw.Flush()
}

// scriptVerdictWord is a script's verdict in one word.
func scriptVerdictWord(s api.ScriptVerdict) string {
	switch {
	case s.Pending:
		return "pending"
	case s.Selected:
		return "selected"
	}
	return "false"
}

// scriptStatus says where a verdict came from: cached, pending on the
// node, or skipped in back-off; "evaluated" otherwise.
func scriptStatus(s api.ScriptVerdict) string {
	var parts []string
	if s.Cached {
		parts = append(parts, "cached")
	}
	if s.Pending {
		parts = append(parts, "pending: not evaluated on the node yet")
	}
	if s.BackOff != nil {
		parts = append(parts, "back-off until "+fmtTime(s.BackOff))
	}
	if len(parts) == 0 {
		return "evaluated"
	}
	return strings.Join(parts, ", ")
}
