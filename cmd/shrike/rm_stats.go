package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/shrike-grid/shrike/api"
)

// cmdRMStats is `shrike rm stats`.
func cmdRMStats(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "rm stats", "[--json]",
		"Count the nodes by state, locked and draining ones, and sum the grid's\n"+
			"capacity (slots, CPUs, memory) and what is in use.",
		"shrike rm stats")
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print the counts as JSON")
	if _, err := parseArgs(fs, args, 0); err != nil {
		return err
	}
	c, err := newClient(e, *server)
	if err != nil {
		return err
	}
	st, err := c.RMStats(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, st)
	}
	head := newTable(e.stdout, "Nodes:", strconv.Itoa(st.Nodes))
	for _, s := range api.NodeStates {
		row(head, "  "+string(s)+":", st.ByState[s])
	}
	row(head, "Locked:", st.Locked)
	row(head, "Draining:", st.Draining)
	row(head, "Slots:", fmt.Sprintf("%d/%d used", st.UsedSlots, st.Slots))
	row(head, "CPUs:", fmt.Sprintf("%g/%d used", st.UsedCPU, st.CPUs))
	row(head, "Memory:", api.HumanBytes(st.UsedMem)+" / "+api.HumanBytes(st.Memory)+" used")
	row(head, "Sources:", fmtCounts(st.BySource))
	return head.Flush()
}

// fmtCounts writes counts as "a 1, b 2", sorted by name; "-" for none.
func fmtCounts(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	return orDash(strings.Join(parts, ", "))
}
