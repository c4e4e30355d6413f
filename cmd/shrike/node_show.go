package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// cmdNodeShow is `shrike node show`.
func cmdNodeShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "node show", "NAME [--json]",
		"Show a node: its facts, capacity, lock and drain flag, the tasks it runs\n"+
			"and its recent history (state changes, locks, drains), oldest first.",
		"shrike node show worker-7")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the node as JSON")
	name, c, err := nodeTarget(e, fs, server, args)
	if err != nil {
		return err
	}
	d, err := c.GetNode(ctx, name)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, d)
	}
	printNode(e, d)
	return nil
}

// printNode writes a node's header, its running tasks and its history.
func printNode(e *env, d api.NodeDetail) {
	n, f := d.Node, d.Facts
	draining := "no"
	switch {
	case n.Draining && len(n.RunningTasks) == 0:
		draining = "yes, and empty: it can be removed"
	case n.Draining:
		draining = fmt.Sprintf("yes; %d task(s) still run", len(n.RunningTasks))
	}
	osArch := firstOf(n.OS, f.OS) + "/" + firstOf(n.Arch, f.Arch)
	if osArch == "/" {
		osArch = "-"
	}
	head := newTable(e.stdout, "Name:", n.Name)
	row(head, "State:", n.State)
	row(head, "Host:", orDash(firstOf(n.Hostname, f.Hostname)))
	row(head, "OS/Arch:", osArch)
	row(head, "CPUs:", fmt.Sprintf("%g/%d used", n.UsedCPU, max(n.CPUs, f.CPUs)))
	row(head, "Slots:", fmt.Sprintf("%d/%d used", len(n.RunningTasks), max(n.Slots, f.Slots)))
	row(head, "Memory:", api.HumanBytes(n.UsedMemory)+" / "+api.HumanBytes(max(n.Memory, f.MemoryTotal))+" used")
	row(head, "Load:", fmt.Sprintf("%.2f", n.Load1))
	row(head, "Tags:", orDash(strings.Join(firstNonEmpty(n.Tags, f.Tags), ", ")))
	row(head, "Version:", orDash(firstOf(n.Version, f.Version)))
	row(head, "Registered:", fmtTime(&n.RegisteredAt))
	row(head, "Last seen:", fmtTime(n.LastSeen))
	row(head, "Lock:", fmtLock(n.Locked))
	row(head, "Draining:", draining)
	_ = head.Flush()

	fmt.Fprintln(e.stdout)
	if len(n.RunningTasks) == 0 {
		fmt.Fprintln(e.stdout, "Running tasks: none")
	} else {
		fmt.Fprintln(e.stdout, "Running tasks:")
		tw := newTable(e.stdout, "JOB", "TASK", "ATTEMPT", "TASK ID")
		for _, t := range n.RunningTasks {
			row(tw, t.JobID, orDash(t.Task), t.Attempt, t.TaskID)
		}
		_ = tw.Flush()
	}

	fmt.Fprintln(e.stdout)
	if len(d.History) == 0 {
		fmt.Fprintln(e.stdout, "History: none")
		return
	}
	fmt.Fprintln(e.stdout, "History:")
	tw := newTable(e.stdout, "TIME", "EVENT", "STATE", "BY", "INFO")
	for _, ev := range d.History {
		row(tw, fmtTime(&ev.Time), ev.Event, ev.State, orDash(ev.By), orDash(ev.Info))
	}
	_ = tw.Flush()
}

// firstNonEmpty returns the first list that has elements.
func firstNonEmpty(lists ...[]string) []string {
	for _, l := range lists {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}
