package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shrike-grid/shrike/api"
)

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newTable returns a tabwriter for a table; write rows with tabs between
// cells and call Flush.
func newTable(w io.Writer, header ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	return tw
}

// row writes one table row.
func row(tw *tabwriter.Writer, cells ...any) {
	parts := make([]string, len(cells))
	for i, c := range cells {
		parts[i] = fmt.Sprint(c)
	}
	fmt.Fprintln(tw, strings.Join(parts, "\t"))
}

// fmtTime formats a time for tables, in local time; "-" for none.
func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// taskProgress counts a job's tasks that are over and all of its tasks,
// from Tasks when present, else from TaskCounts (listings).
func taskProgress(job api.Job) (done, total int) {
	if job.Tasks != nil {
		for _, t := range job.Tasks {
			if t.State.Terminal() {
				done++
			}
		}
		return done, len(job.Tasks)
	}
	for st, n := range job.TaskCounts {
		total += n
		if st.Terminal() {
			done += n
		}
	}
	return done, total
}

// fmtVars writes variables as "a=1, b=2", sorted.
func fmtVars(vars map[string]string) string {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + vars[k]
	}
	return orDash(strings.Join(parts, ", "))
}
